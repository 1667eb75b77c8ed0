"""Dependencies for routes, as Annotated aliases over the `Gateway` the lifespan put on app.state.

Every one is `async def`: FastAPI runs a plain `def` dependency in its thread pool, which cost a thread hop
apiece (three per chat request) for reading an attribute.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from service.auth import Tenant
from service.state import Gateway
from service.tenancy import TenantView


async def _gateway(request: Request) -> Gateway:
    return request.app.state.gateway


GatewayDep = Annotated[Gateway, Depends(_gateway)]


async def _tenant(request: Request, gateway: GatewayDep,
                  authorization: Annotated[str | None, Header()] = None) -> Tenant:
    """Authenticate the bearer key, take the tenant's view of the active policy (the request keeps it to the end;
    its response names it, service/middleware.py), then count the request against the tenant's rate limit."""
    tenant = gateway.keys.authenticate(authorization)
    view = gateway.tenancy.view(tenant.name)
    request.state.policy_view = view
    request.state.policy_headers = view.headers
    await gateway.rate_limiter.hit(tenant.name, view.settings.rate_limit)
    return tenant


TenantDep = Annotated[Tenant, Depends(_tenant)]


async def _view(request: Request, tenant: TenantDep) -> TenantView:
    return request.state.policy_view


ViewDep = Annotated[TenantView, Depends(_view)]  # the caller's tenant under the policy it was authenticated under
