"""GET /v1/models: what the engine serves."""

from __future__ import annotations

from fastapi import APIRouter

from service.deps import CatalogDep
from service.schemas import ModelCard, ModelList

router = APIRouter()


@router.get("/v1/models", response_model=ModelList)
async def list_models(catalog: CatalogDep) -> ModelList:
    return ModelList(data=[ModelCard(id=m) for m in await catalog.models()])
