"""Dependencies for routes, as Annotated aliases over the `Gateway` the lifespan put on app.state.

Every one is `async def`: FastAPI runs a plain `def` dependency in its thread pool, which cost a thread hop
apiece (three per chat request) for reading an attribute.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from service.auth import Tenant
from service.state import Gateway


async def _gateway(request: Request) -> Gateway:
    return request.app.state.gateway


GatewayDep = Annotated[Gateway, Depends(_gateway)]


async def _tenant(gateway: GatewayDep, authorization: Annotated[str | None, Header()] = None) -> Tenant:
    """Authenticate the bearer key, then count the request against the tenant's rate limit."""
    tenant = gateway.keys.authenticate(authorization)
    await gateway.rate_limiter.hit(tenant.name)
    return tenant


TenantDep = Annotated[Tenant, Depends(_tenant)]
