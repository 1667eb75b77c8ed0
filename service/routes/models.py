"""GET /v1/models: what the engine serves."""

from __future__ import annotations

from fastapi import APIRouter

from service.deps import GatewayDep, TenantDep
from service.schemas import ModelCard, ModelList

router = APIRouter()


@router.get("/v1/models", response_model=ModelList)
async def list_models(gateway: GatewayDep, tenant: TenantDep) -> ModelList:
    models = [m for m in await gateway.catalog.models() if "*" in tenant.models or m in tenant.models]
    return ModelList(data=[ModelCard(id=m) for m in models])
