"""API keys, hashed at rest, mapped to tenants with their allowed models."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from service.errors import Forbidden, Unauthorized
from service.settings import Settings

ALL_MODELS = "*"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Tenant:
    name: str
    models: frozenset[str] = frozenset({ALL_MODELS})

    def require_model(self, model: str) -> None:
        if ALL_MODELS not in self.models and model not in self.models:
            raise Forbidden(f"this API key may not use model {model!r}", param="model")


DEV_TENANT = Tenant("dev")


def parse_keys_file(path: Path) -> dict[str, Tenant]:
    """`<sha256-hex> <tenant> [model,model|*]` per line; # starts a comment."""
    keys: dict[str, Tenant] = {}
    for n, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) not in (2, 3) or len(parts[0]) != 64:
            raise ValueError(f"{path}:{n}: expected '<sha256-hex> <tenant> [models]'")
        models = frozenset(parts[2].split(",")) if len(parts) == 3 else frozenset({ALL_MODELS})
        keys[parts[0].lower()] = Tenant(parts[1], models)
    return keys


class KeyStore:
    """Looks a bearer token up by its hash; in dev mode without keys everyone is the dev tenant."""

    def __init__(self, hashed: dict[str, Tenant], dev_mode: bool) -> None:
        self._hashed = hashed
        self.open = dev_mode and not hashed

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyStore:
        hashed = {hash_key(k): Tenant("default") for k in settings.api_keys}
        if settings.api_keys_file is not None:
            hashed.update(parse_keys_file(settings.api_keys_file))
        return cls(hashed, settings.dev_mode)

    def authenticate(self, authorization: str | None) -> Tenant:
        if self.open:
            return DEV_TENANT
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("missing API key: send 'Authorization: Bearer <key>'")
        tenant = self._hashed.get(hash_key(token.strip()))
        if tenant is None:
            raise Unauthorized("invalid API key")
        return tenant
