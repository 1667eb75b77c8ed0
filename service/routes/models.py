"""GET /v1/models: what the engine serves, and the policy's model aliases, as far as the caller may use them."""

from __future__ import annotations

from fastapi import APIRouter

from service.deps import GatewayDep, TenantDep, ViewDep
from service.schemas import ModelCard, ModelList

router = APIRouter()


@router.get("/v1/models", response_model=ModelList)
async def list_models(gateway: GatewayDep, tenant: TenantDep, view: ViewDep) -> ModelList:
    models = view.visible_models(await gateway.catalog.models(), tenant.models)
    return ModelList(data=[ModelCard(id=m) for m in models])
