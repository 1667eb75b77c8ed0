"""The model catalog: the engine's models plus the configured adapters, and how each reaches the engine."""

from __future__ import annotations

from typing import Any

import pytest

from service.catalog import ModelCatalog
from service.errors import ModelNotFound


class ListingEngine:
    """Only /v1/models matters to the catalog."""

    def __init__(self, models: list[str]) -> None:
        self.served = models

    async def models(self) -> list[str]:
        return list(self.served)

    async def complete(self, payload: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def stream(self, payload: dict[str, Any]) -> Any:
        raise NotImplementedError


async def test_llama_server_gets_the_base_and_the_adapter_id() -> None:
    catalog = ModelCatalog(ListingEngine(["gemma-3-270m"]), adapters=["first", "gemma-3-270m-ragguard"])
    assert await catalog.models() == ["first", "gemma-3-270m-ragguard", "gemma-3-270m"]  # adapters first
    await catalog.require("gemma-3-270m-ragguard")
    assert catalog.engine_fields("gemma-3-270m-ragguard") == {
        "model": "gemma-3-270m", "lora": [{"id": 0, "scale": 0.0}, {"id": 1, "scale": 1.0}]}
    # the base names every adapter at scale 0: llama-server would otherwise reuse a slot's last scales
    assert catalog.engine_fields("gemma-3-270m") == {"lora": [{"id": 0, "scale": 0.0}, {"id": 1, "scale": 0.0}]}


async def test_vllm_serves_adapters_by_name() -> None:
    catalog = ModelCatalog(ListingEngine(["gemma-3-270m", "gemma-3-270m-ragguard"]),
                           adapters=["gemma-3-270m-ragguard"])
    assert await catalog.models() == ["gemma-3-270m-ragguard", "gemma-3-270m"]
    assert catalog.engine_fields("gemma-3-270m-ragguard") == {}


async def test_unknown_model_is_refused() -> None:
    catalog = ModelCatalog(ListingEngine(["gemma-3-270m"]), adapters=["gemma-3-270m-ragguard"])
    with pytest.raises(ModelNotFound):
        await catalog.require("gpt-4")
