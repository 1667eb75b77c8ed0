"""The active policy (service/policy.py) as requests meet it: one `TenantView` per tenant in the policy (its
settings, its road, what it may use), made once per policy version, and swapped whole when the policy changes; a
request keeps the view it was authenticated under, even if the policy changes before it ends."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client import Gauge

from service.errors import Forbidden, InvalidRequest
from service.pipeline.assemble import tenant_road
from service.pipeline.road import Road
from service.policy import ALL, DEFAULT_COLLECTION, NO_POLICY, Alias, Policy, TenantRules, load_policy
from service.rails import Rails
from service.settings import Settings


@dataclass(frozen=True)
class TenantView:
    """What one tenant's requests get under one policy version."""

    label: str  # the policy's `<name>@<version>`
    section: str | None  # the tenant's section of the policy; None: not in it (the Settings defaults)
    settings: Settings  # the Settings with the section's overrides (rate_limit included)
    road: Road
    collections: tuple[str, ...] = (ALL,)  # in the file's order; `default`: the index root's own
    models: tuple[str, ...] = (ALL,)
    aliases: dict[str, Alias] = field(default_factory=dict)

    @property
    def headers(self) -> list[tuple[bytes, bytes]]:
        """x-ragguard-policy on every response after authentication (and the tenant's section, if any)."""
        out = [(b"x-ragguard-policy", self.label.encode())]
        return out + ([(b"x-ragguard-policy-tenant", self.section.encode())] if self.section else [])

    def resolve(self, model: str, collection: str | None) -> tuple[str, str | None]:
        """(engine model, collection; None is the index root) for a request's `model` (an alias resolves to its
        model and collection) and `ragguard.collection`; 403 for a model or collection this tenant may not use."""
        if ALL not in self.models and model not in self.models:
            raise Forbidden(f"the policy ({self.label}) does not allow model {model!r} for this key", param="model")
        if collection is not None:
            self.collection(collection)  # one this tenant may not search: 403, whatever the model
        if (alias := self.aliases.get(model)) is None:
            return model, self.collection(collection)
        if collection is not None and alias.collection not in (None, collection):
            raise InvalidRequest(f"model {model!r} is bound to collection {alias.collection!r}",
                                 param="ragguard.collection")
        return alias.model, self.collection(collection or alias.collection)

    def collection(self, requested: str | None) -> str | None:
        """The collection a request searches (none named: the tenant's first); 403 if not allowed."""
        if requested is None and ALL not in self.collections and DEFAULT_COLLECTION not in self.collections:
            return self.collections[0]
        if self._may_search(requested):
            return requested
        raise Forbidden(f"the policy ({self.label}) does not allow collection {requested or DEFAULT_COLLECTION!r} "
                        "for this key", param="ragguard.collection", code="collection_not_allowed")

    def visible_models(self, models: list[str], allowed: frozenset[str]) -> list[str]:
        """The engine's models and the aliases this tenant may use, of those its key allows (`allowed`)."""
        usable = [*models, *(a for a, alias in self.aliases.items() if self._may_search(alias.collection))]
        return [m for m in usable if (ALL in allowed or m in allowed) and (ALL in self.models or m in self.models)]

    def _may_search(self, collection: str | None) -> bool:
        return ALL in self.collections or (collection or DEFAULT_COLLECTION) in self.collections


class Tenancy:
    """The active policy and its views; `apply` (start, reload) swaps them in one assignment."""

    def __init__(self, road: Road, rails: Rails, collections: set[str], info: Gauge,
                 policy: Policy = NO_POLICY) -> None:
        self._road, self._rails, self._collections, self._info = road, rails, collections, info
        self.last_error: str | None = None  # the last reload refused (GET /admin/policy shows it)
        self.apply(policy)

    @property
    def policy(self) -> Policy:
        return self._active[0]

    def view(self, tenant: str) -> TenantView:
        _, views, default = self._active
        return views.get(tenant, default)

    def load(self, path: Path) -> Policy:
        """Read, check and serve the policy in `path`; ValueError (one line) leaves the old one serving. The
        collections it names are checked once, by `apply`, with the rails it sets."""
        policy = load_policy(path)
        try:
            self.apply(policy)
        except ValueError as exc:
            raise ValueError(f"RAGGUARD_POLICY_FILE {path}: {exc}") from None
        return policy

    def apply(self, policy: Policy) -> None:
        """Serve `policy` from now on; ValueError if it names a collection not served or a rail not loaded."""
        policy.require_collections(self._collections)
        default = TenantView(policy.label, None, self._road.settings, self._road, aliases=policy.aliases)
        views = {name: self._view(policy, name, rules) for name, rules in policy.tenants.items()}
        self._active = (policy, views, default)
        self._info.clear()
        self._info.labels(policy.name, policy.version).set(1)

    def _view(self, policy: Policy, name: str, rules: TenantRules) -> TenantView:
        settings = self._road.settings.model_copy(update=rules.overrides(self._road.settings))
        try:
            road = tenant_road(self._road, self._rails, settings)
        except ValueError as exc:
            raise ValueError(f"tenants.{name}: {exc}") from None
        return TenantView(policy.label, name, settings, road, tuple(rules.collections), tuple(rules.models),
                          policy.aliases)
