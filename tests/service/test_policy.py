"""#25 policy as code: the policy file is parsed and validated strictly (a typo is an error naming the file and the
key), a tenant's section becomes its effective settings, and a bad file refuses the gateway's start in one line."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from service.policy import NO_POLICY, load_policy
from service.settings import Settings

GOOD = """
name: acme
version: 3
tenants:
  hr: {collections: [hr], models: ["*"], pii_mode: block, grounding_policy: strip, grounding_policy_floor: strip,
       rail_modes: {harmful: flag}, harmful_threshold: 0.5, rate_limit: 60/minute}
  support: {collections: [support, default]}
aliases:
  hr-assistant: {model: gemma-3-270m-ragguard, collection: hr}
"""


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    return path


def test_a_good_file_gives_each_tenant_its_settings_over_the_defaults(tmp_path: Path) -> None:
    policy = load_policy(_file(tmp_path, GOOD), {"hr", "support"})
    assert policy.label == "acme@3" and NO_POLICY.label == "none@0"
    assert policy.aliases["hr-assistant"].collection == "hr"
    base = Settings(rail_modes={"topic": "flag"}, rate_limit="600/minute")
    hr = base.model_copy(update=policy.tenants["hr"].overrides(base))
    assert (hr.pii_mode, hr.grounding_policy, hr.grounding_policy_floor) == ("block", "strip", "strip")
    assert hr.rail_modes == {"topic": "flag", "harmful": "flag"}  # merged over RAGGUARD_RAIL_MODES
    assert (hr.harmful_threshold, hr.rate_limit) == (0.5, "60/minute")
    support = base.model_copy(update=policy.tenants["support"].overrides(base))
    assert support.model_dump() == base.model_dump()  # a section without overrides changes nothing
    assert (base.pii_mode, base.rate_limit) == ("mask", "600/minute")  # the base is never changed


@pytest.mark.parametrize(("text", "problem"), [
    (GOOD.replace("pii_mode: block", "pii_mod: block"), "tenants.hr.pii_mod: Extra inputs are not permitted"),
    (GOOD.replace("pii_mode: block", "pii_mode: maybe"), "tenants.hr.pii_mode: Input should be"),
    (GOOD.replace("harmful_threshold: 0.5", "harmful_threshold: 1.5"), "tenants.hr.harmful_threshold"),
    (GOOD.replace("60/minute", "sixty a minute"), "tenants.hr.rate_limit"),
    (GOOD.replace("name: acme", "name: acme corp"), "name: String should match pattern"),
    (GOOD.replace("version: 3\n", ""), "version: Field required"),
    (GOOD + "owner: hr-team\n", "owner: Extra inputs are not permitted"),
    (GOOD.replace("  support:", "  support team:"), "tenants.support team.[key]: String should match pattern"),
    (GOOD.replace("collections: [hr]", "collections: [finance]"),
     "tenants.hr.collections: no collection 'finance' (have: default, hr, support)"),
    (GOOD.replace("collection: hr", "collection: legal"), "aliases.hr-assistant.collection: no collection 'legal'"),
    ("name: acme\nversion: [3\n", "not YAML"),
    ("", "the file: Input should be a valid dictionary"),
])
def test_a_bad_file_is_one_line_naming_the_file_and_the_key(tmp_path: Path, text: str, problem: str) -> None:
    path = _file(tmp_path, text)
    with pytest.raises(ValueError) as caught:
        load_policy(path, {"hr", "support"})
    message = str(caught.value)
    assert message.startswith(f"RAGGUARD_POLICY_FILE {path}: ") and problem in message, message
    assert "\n" not in message


def test_a_missing_file_is_an_error_too(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read it"):
        load_policy(tmp_path / "nope.yaml")


def test_the_gateway_refuses_to_start_on_a_bad_policy_in_one_line(tmp_path: Path, index_dir: Path) -> None:
    """`ragguard serve` with a policy naming a collection it does not serve: exit 2 and one line, before any model
    is loaded (as a refused key)."""
    env = {**os.environ, "RAGGUARD_DEV_MODE": "true", "RAGGUARD_INDEX_DIR": str(index_dir),
           "RAGGUARD_POLICY_FILE": str(_file(tmp_path, GOOD))}
    done = subprocess.run([str(Path(sys.executable).parent / "ragguard"), "serve"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "tenants.hr.collections: no collection 'hr'" in lines[0], done.stderr


async def test_a_rail_the_gateway_does_not_run_fails_the_start_naming_the_file(
        tmp_path: Path, make_settings: Callable, gateway: Callable) -> None:
    """Rail names are known once the rails load: the lifespan refuses to start, the message names file and key."""
    path = _file(tmp_path, "name: acme\nversion: 1\ntenants:\n  dev: {rail_modes: {harmfull: flag}}\n")
    with pytest.raises(ValueError, match=r"RAGGUARD_POLICY_FILE .*: tenants\.dev: rail_modes: no rail harmfull"):
        async with gateway(make_settings(policy_file=path)):
            pass
