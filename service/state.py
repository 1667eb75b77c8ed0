"""Everything the lifespan builds, in one typed object: routes get their parts through service/deps.py."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry

from index.live import LiveIndex
from service.admission import Admission
from service.auth import KeyStore
from service.catalog import ModelCatalog
from service.collections import Collections
from service.metrics import Metrics
from service.pipeline.road import Road
from service.ratelimit import TenantRateLimiter
from service.readiness import Readiness
from service.settings import Settings
from service.tenancy import Tenancy


@dataclass
class Gateway:
    settings: Settings
    metrics: Metrics
    registry: CollectorRegistry
    keys: KeyStore
    rate_limiter: TenantRateLimiter
    admission: Admission
    collections: Collections  # the default index and the named ones under INDEX_DIR/collections/
    catalog: ModelCatalog
    readiness: Readiness
    road: Road  # the Settings' road; a tenant in the policy file gets its own (tenancy.view(name).road)
    tenancy: Tenancy  # the active policy (RAGGUARD_POLICY_FILE): each tenant's settings, road and allowances

    @property
    def index(self) -> LiveIndex:
        """The default collection (the index root); hot swap / rollback: service/routes/admin.py."""
        return self.collections.default
