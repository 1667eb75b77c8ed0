"""Which models the engine serves, cached briefly so each request does not ask again.

Besides the engine's own list, the catalog knows the configured LoRA adapters (RAGGUARD_ADAPTERS).
An engine that serves an adapter under its name (vLLM `--lora-modules`) lists it and gets it by
`model`; one that does not (llama-server `--lora`) gets the base model plus `lora: [{"id", "scale"}]`
on every request, the id being the adapter's position in RAGGUARD_ADAPTERS (the engine's load order).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from service.base import ModelLister
from service.errors import EngineError, ModelNotFound


class ModelCatalog:
    """The engine's model list (plus adapters) with a short TTL; unknown models are refused with 404."""

    def __init__(self, llm: ModelLister, ttl_s: float = 30.0, adapters: Iterable[str] = ()) -> None:
        self._llm = llm
        self._ttl = ttl_s
        self._adapters = list(adapters)
        self._engine_models: list[str] = []
        self._fetched = 0.0

    async def models(self, refresh: bool = False) -> list[str]:
        if refresh or not self._engine_models or time.monotonic() - self._fetched > self._ttl:
            self._engine_models = await self._llm.models()
            self._fetched = time.monotonic()
        # the adapters first: what a picker shows first (the playground's default) is the model tuned for this road
        return self._adapters + [m for m in self._engine_models if m not in self._adapters]

    async def require(self, model: str, *, unless_engine_down: bool = False) -> None:
        """404 for a model neither the engine nor the adapters know. With `unless_engine_down`, an engine that
        cannot be asked passes the check (the chat road asks before its rails, and again before generating)."""
        if model in self._adapters:
            return
        try:
            await self._require(model)
        except EngineError:
            if not unless_engine_down:
                raise

    async def _require(self, model: str) -> None:
        if model not in await self.models():
            available = await self.models(refresh=True)
            if model not in available:
                raise ModelNotFound(f"model {model!r} does not exist; available: {', '.join(available)}",
                                    param="model")

    def engine_fields(self, model: str) -> dict[str, Any]:
        """Request fields that make the engine generate with `model` (after `require`).

        llama-server keeps a slot's last LoRA scales, so every request there names every adapter's scale.
        """
        by_id = [a for a in self._adapters if a not in self._engine_models]
        if not by_id or not self._engine_models:
            return {}
        fields: dict[str, Any] = {"lora": [{"id": i, "scale": 1.0 if a == model else 0.0}
                                           for i, a in enumerate(self._adapters)]}
        if model in by_id:
            fields["model"] = self._engine_models[0]
        return fields
