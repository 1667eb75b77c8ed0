"""Dependencies for routes, as Annotated aliases over what the lifespan put on app.state.

Every one is `async def`: FastAPI runs a plain `def` dependency in its thread pool, which cost a thread hop
apiece (three per chat request) for reading an attribute.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from prometheus_client import CollectorRegistry

from index.live import LiveIndex
from service.admission import Admission
from service.auth import KeyStore, Tenant
from service.catalog import ModelCatalog
from service.pipeline import Pipeline
from service.ratelimit import TenantRateLimiter
from service.readiness import Readiness


async def _pipeline(request: Request) -> Pipeline:
    return request.app.state.pipeline


async def _catalog(request: Request) -> ModelCatalog:
    return request.app.state.catalog


async def _readiness(request: Request) -> Readiness:
    return request.app.state.readiness


async def _registry(request: Request) -> CollectorRegistry:
    return request.app.state.registry


async def _tenant(request: Request, authorization: Annotated[str | None, Header()] = None) -> Tenant:
    """Authenticate the bearer key, then count the request against the tenant's rate limit."""
    keys: KeyStore = request.app.state.keys
    limiter: TenantRateLimiter = request.app.state.rate_limiter
    tenant = keys.authenticate(authorization)
    await limiter.hit(tenant.name)
    return tenant


async def _admission(request: Request) -> Admission:
    return request.app.state.admission


async def _live_index(request: Request) -> LiveIndex:
    return request.app.state.index


PipelineDep = Annotated[Pipeline, Depends(_pipeline)]
CatalogDep = Annotated[ModelCatalog, Depends(_catalog)]
ReadinessDep = Annotated[Readiness, Depends(_readiness)]
RegistryDep = Annotated[CollectorRegistry, Depends(_registry)]
TenantDep = Annotated[Tenant, Depends(_tenant)]
AdmissionDep = Annotated[Admission, Depends(_admission)]
LiveIndexDep = Annotated[LiveIndex, Depends(_live_index)]
