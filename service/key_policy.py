"""API keys the gateway refuses at start: blanks, known placeholders and, outside dev mode, short keys.

Plain keys (RAGGUARD_API_KEYS, RAGGUARD_ENGINE_API_KEY) are compared case-insensitively with separators
(`-`, `_`, `.`, spaces) and an `sk-` prefix ignored, so `CHANGE-ME`, `change_me` and `sk-ChangeMe` are one
placeholder. A keys file holds only hashes, so there only the hashes of the usual spellings can be refused.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

MIN_KEY_CHARS = 16  # outside dev mode; `openssl rand -hex 24` gives 48
_SEPARATORS = str.maketrans("", "", "-_. \t")
# Placeholder phrases as words; every spelling of a phrase (joined by any separator, any case) is refused.
_PHRASES: tuple[tuple[str, ...], ...] = (
    ("change", "me"), ("change", "it"), ("replace", "me"), ("replace", "this"), ("fill", "me", "in"),
    ("your", "key"), ("your", "key", "here"), ("your", "api", "key"), ("your", "api", "key", "here"),
    ("your", "secret", "key"), ("your", "token"), ("insert", "key", "here"), ("put", "key", "here"),
    ("my", "key"), ("api", "key"), ("secret", "key"), ("not", "a", "secret"), ("placeholder",),
    ("example",), ("test",), ("testing",), ("secret",), ("password",), ("dummy",), ("todo",), ("fixme",),
    ("default",), ("admin",), ("token",), ("key",), ("none",), ("null",), ("redacted",), ("foo",),
    ("bar",), ("foobar",), ("abc",), ("abc123",), ("123456",), ("12345678",), ("1234567890",), ("qwerty",),
)
PLACEHOLDERS = frozenset("".join(p) for p in _PHRASES)
# A key containing one of these is a placeholder however it continues (`CHANGE-ME-before-prod`).
_MARKERS = ("changeme", "replaceme", "placeholder", "yourkey", "yourapikey", "yoursecret", "insertkey")


def _compact(key: str) -> str:
    return key.lower().translate(_SEPARATORS).removeprefix("sk")


def key_problem(key: str, *, dev_mode: bool) -> str | None:
    """Why `key` must not be served (a phrase that never quotes the key), or None."""
    if not key.strip():
        return "is empty"
    if key != key.strip():
        return "has leading or trailing whitespace (clients' bearer tokens are stripped, so it never matches)"
    compact = _compact(key)
    if compact in PLACEHOLDERS or len(set(compact)) <= 1 or any(m in compact for m in _MARKERS):
        return "is a known placeholder"
    if not dev_mode and len(key) < MIN_KEY_CHARS:
        return f"is shorter than {MIN_KEY_CHARS} characters"
    return None


@cache
def placeholder_hashes() -> frozenset[str]:
    """SHA-256 hex digests of the usual spellings of every placeholder (for hashed keys files)."""
    spellings = {c * n for c in "xX0*." for n in range(1, 65)} | {""}
    for phrase in _PHRASES:
        for sep in ("-", "_", "", " ", "."):
            joined = sep.join(phrase)
            for case in (joined, joined.upper(), joined.title(), joined.capitalize()):
                spellings |= {case, f"sk-{case}"}
    return frozenset(hashlib.sha256(s.encode()).hexdigest() for s in spellings)


def keys_file_problem(path: Path) -> str | None:
    """Why the hashed keys file must not be served (unreadable, or a placeholder's hash), or None."""
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        return f"RAGGUARD_API_KEYS_FILE {path}: cannot read it ({exc.strerror or exc})"
    known = placeholder_hashes()
    for n, raw in enumerate(lines, start=1):
        fields = raw.split("#", 1)[0].split()
        if fields and fields[0].lower() in known:
            return f"RAGGUARD_API_KEYS_FILE {path} line {n} is the hash of a known placeholder key"
    return None


def refused_keys(api_keys: list[str], api_keys_file: Path | None, engine_api_key: str,
                 *, dev_mode: bool) -> str | None:
    """The first reason the configured keys must not be served, naming the setting (never the key), or None."""
    for i, key in enumerate(api_keys):
        if problem := key_problem(key, dev_mode=dev_mode):
            return f"RAGGUARD_API_KEYS entry {i + 1} {problem}"
    if engine_api_key and (problem := key_problem(engine_api_key, dev_mode=dev_mode)):
        return f"RAGGUARD_ENGINE_API_KEY {problem}"
    return keys_file_problem(api_keys_file) if api_keys_file is not None else None
