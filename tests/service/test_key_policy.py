"""The gateway refuses placeholder, blank and (outside dev mode) short keys at start, in one readable line."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from service.auth import hash_key
from service.key_policy import MIN_KEY_CHARS, key_problem
from service.settings import Settings

RAGGUARD = Path(sys.executable).parent / "ragguard"
PLACEHOLDERS = ["CHANGE-ME", "changeme", "change_me", "Change Me", "sk-CHANGE-ME", "CHANGE-ME-before-prod",
                "placeholder", "replace-me", "your-key-here", "YOUR_API_KEY", "example", "test", "sk-test",
                "xxxxxxxxxxxxxxxxxxxxxxxx", "0000000000000000", "secret", "password"]


@pytest.mark.parametrize("key", PLACEHOLDERS)
def test_placeholders_are_refused_even_in_dev_mode(key: str) -> None:
    assert key_problem(key, dev_mode=True) == "is a known placeholder"
    with pytest.raises(ValueError, match="RAGGUARD_API_KEYS entry 1 is a known placeholder"):
        Settings(api_keys=[key], dev_mode=True).refuse_unsafe()


@pytest.mark.parametrize(("key", "problem"), [("", "is empty"), ("   ", "is empty"),
                                              (f" {secrets.token_hex(16)}", "has leading or trailing whitespace")])
def test_blank_and_padded_keys_are_refused(key: str, problem: str) -> None:
    assert key_problem(key, dev_mode=False).startswith(problem)  # type: ignore[union-attr]


def test_short_keys_are_refused_outside_dev_mode_only() -> None:
    short = secrets.token_hex(MIN_KEY_CHARS // 2 - 1)
    with pytest.raises(ValueError, match=f"shorter than {MIN_KEY_CHARS} characters"):
        Settings(api_keys=[secrets.token_hex(24), short], dev_mode=False).refuse_unsafe()
    Settings(api_keys=[short], dev_mode=True).refuse_unsafe()
    Settings(api_keys=[secrets.token_hex(MIN_KEY_CHARS // 2)], dev_mode=False).refuse_unsafe()


def test_the_engine_key_is_checked_too() -> None:
    with pytest.raises(ValueError, match="RAGGUARD_ENGINE_API_KEY is a known placeholder"):
        Settings(api_keys=[secrets.token_hex(24)], engine_api_key="CHANGE-ME").refuse_unsafe()
    Settings(api_keys=[secrets.token_hex(24)], engine_api_key=secrets.token_urlsafe(32)).refuse_unsafe()


def test_a_keys_file_holding_a_placeholders_hash_is_refused(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.write_text(f"# ops\n{hash_key(secrets.token_hex(24))} ops\n{hash_key('change-me')} team *\n")
    with pytest.raises(ValueError, match="line 3 is the hash of a known placeholder key"):
        Settings(api_keys_file=keys).refuse_unsafe()
    keys.write_text(f"{hash_key(secrets.token_hex(24))} ops\n")
    Settings(api_keys_file=keys).refuse_unsafe()
    with pytest.raises(ValueError, match="cannot read it"):
        Settings(api_keys_file=tmp_path / "missing").refuse_unsafe()


def test_random_keys_are_accepted() -> None:
    keys = [secrets.token_hex(24), secrets.token_urlsafe(32), f"sk-{secrets.token_urlsafe(24)}"]
    assert [key_problem(k, dev_mode=False) for k in keys] == [None, None, None]


@pytest.mark.parametrize("env", [{"RAGGUARD_API_KEYS": '["CHANGE-ME"]'},
                                 {"RAGGUARD_API_KEYS": "CHANGE-ME"},  # not JSON: a parse error, also one line
                                 {"RAGGUARD_API_KEYS": f'["{secrets.token_hex(24)}"]',
                                  "RAGGUARD_ENGINE_API_KEY": "your-key-here"}])
def test_serve_refuses_a_placeholder_in_one_line_without_traceback(env: dict[str, str], tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RAGGUARD_")}
    proc = subprocess.run([str(RAGGUARD), "serve", "--port", "1"], env={**clean, **env,
                          "RAGGUARD_DEV_MODE": "false", "RAGGUARD_INDEX_DIR": str(tmp_path)},
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    (line,) = proc.stderr.splitlines()
    assert line.startswith("ragguard: ") and "Traceback" not in line
    assert "placeholder" in line or "api_keys" in line
