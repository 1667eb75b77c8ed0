"""The policy file (RAGGUARD_POLICY_FILE): per tenant and per model alias, what may be used and how requests are
checked, as YAML validated with pydantic (unknown keys are refused, so a typo is an error, never a no-op).

    name: acme                        # with `version`, the policy's label "acme@3" (x-ragguard-policy, metrics)
    version: 3
    tenants:                          # the tenant names of the keys file (service/auth.py)
      hr:      {collections: [hr], models: ["*"], pii_mode: block, grounding_policy: strip, rate_limit: 60/minute}
      support: {collections: [support, default], rail_modes: {harmful: flag}}
    aliases:                          # a request's `model` that stands for an engine model and a collection
      hr-assistant: {model: gemma-3-270m-ragguard, collection: hr}

A tenant not in the file gets the Settings defaults, every collection and every model (as without a policy).
`default` names the index root's own collection, `*` every collection (or model). A listed tenant's requests that
name no collection search its first collection. The other keys are Settings fields of the same name and type,
applied over the Settings for that tenant's requests (`rail_modes` is merged over RAGGUARD_RAIL_MODES).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from limits import parse
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from service.schemas import COLLECTION_NAME
from service.settings import GroundingPolicy, PIIMode, RailMode, Settings, StreamRelease

ALL = "*"
DEFAULT_COLLECTION = "default"  # the index root's own collection (a request that names none)
LABEL = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
Label = Annotated[str, BeforeValidator(lambda v: str(v) if isinstance(v, int) else v), Field(pattern=LABEL)]
CollectionRef = Annotated[str, Field(pattern=COLLECTION_NAME + "|^\\*$")]
TenantName = Annotated[str, Field(pattern=r"^[\x21-\x7e]{1,64}$")]  # a keys-file tenant; sent in a header


class Overrides(BaseModel):
    """The Settings a policy may set per tenant (same names, types and bounds; None: the Settings value)."""

    model_config = ConfigDict(extra="forbid")
    rail_modes: dict[str, RailMode] | None = None  # merged over RAGGUARD_RAIL_MODES
    injection_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    harmful_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    pii_mode: PIIMode | None = None
    pii_entities: dict[str, Literal["mask", "block"]] | None = None
    document_rail_mode: RailMode | None = None
    grounding_policy: GroundingPolicy | None = None
    grounding_policy_floor: GroundingPolicy | None = None
    stream_release: StreamRelease | None = None
    stream_release_floor: StreamRelease | None = None
    refuse_min_supported: float | None = Field(default=None, ge=0.0, le=1.0)
    refusal_message: str | None = None
    top_k: int | None = Field(default=None, ge=1, le=50)
    retrieval_mode: Literal["dense", "bm25", "hybrid"] | None = None


class TenantRules(Overrides):
    """One tenant's section: what it may use, its rate limit, and its Settings overrides."""

    collections: list[CollectionRef] = Field(default=[ALL], min_length=1)
    models: list[str] = Field(default=[ALL], min_length=1)  # engine models, adapters or aliases
    rate_limit: str | None = None  # `limits` notation ("60/minute"); "": none; None: RAGGUARD_RATE_LIMIT

    @field_validator("rate_limit")
    @classmethod
    def _parses(cls, rate: str | None) -> str | None:
        if rate:
            parse(rate)  # ValueError on a rate `limits` cannot read
        return rate

    def overrides(self, settings: Settings) -> dict[str, Any]:
        """The Settings fields this tenant changes (its rate limit included), as a `model_copy(update=...)`."""
        changed = self.model_dump(include=set(Overrides.model_fields), exclude_none=True)
        if "rail_modes" in changed:
            changed["rail_modes"] = {**settings.rail_modes, **changed["rail_modes"]}
        return changed | ({"rate_limit": self.rate_limit} if self.rate_limit is not None else {})


class Alias(BaseModel):
    """A model name clients use that stands for an engine model (or adapter) and, optionally, a collection."""

    model_config = ConfigDict(extra="forbid")
    model: str = Field(min_length=1)
    collection: Annotated[str, Field(pattern=COLLECTION_NAME)] | None = None


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Label
    version: Label
    tenants: dict[TenantName, TenantRules] = {}
    aliases: dict[str, Alias] = {}

    @property
    def label(self) -> str:
        """`<name>@<version>`: the x-ragguard-policy header and the metrics' policy label."""
        return f"{self.name}@{self.version}"

    def require_collections(self, known: set[str]) -> None:
        """ValueError naming the first collection the policy names that the gateway does not serve."""
        known = known | {DEFAULT_COLLECTION, ALL}
        named = [(f"tenants.{t}.collections", c) for t, r in self.tenants.items() for c in r.collections]
        named += [(f"aliases.{a}.collection", x.collection) for a, x in self.aliases.items() if x.collection]
        for where, collection in named:
            if collection not in known:
                raise ValueError(f"{where}: no collection {collection!r} (have: {', '.join(sorted(known - {ALL}))})")


NO_POLICY = Policy(name="none", version="0")  # without RAGGUARD_POLICY_FILE: every tenant gets the Settings


def load_policy(path: Path, collections: set[str] | None = None) -> Policy:
    """The policy in `path`, checked against the served collections when given; ValueError with one line that
    names the file and the first problem (unreadable, not YAML, a bad or unknown key, an unknown collection)."""
    try:
        policy = Policy.model_validate(yaml.safe_load(path.read_text()))
        if collections is not None:
            policy.require_collections(collections)
        return policy
    except OSError as exc:
        raise ValueError(f"RAGGUARD_POLICY_FILE {path}: cannot read it ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        raise ValueError(f"RAGGUARD_POLICY_FILE {path}: not YAML ({' '.join(str(exc).split())})") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the file"
        raise ValueError(f"RAGGUARD_POLICY_FILE {path}: {where}: {first['msg']} ({exc.error_count()} error(s))"
                         ) from None
    except ValueError as exc:
        raise ValueError(f"RAGGUARD_POLICY_FILE {path}: {exc}") from None
