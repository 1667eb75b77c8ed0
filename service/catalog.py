"""Which models the engine serves, cached briefly so each request does not ask again."""

from __future__ import annotations

import time

from service.errors import ModelNotFound
from service.llm import LLMClient


class ModelCatalog:
    """The engine's model list with a short TTL; unknown models are refused with 404."""

    def __init__(self, llm: LLMClient, ttl_s: float = 30.0) -> None:
        self._llm = llm
        self._ttl = ttl_s
        self._models: list[str] = []
        self._fetched = 0.0

    async def models(self, refresh: bool = False) -> list[str]:
        if refresh or not self._models or time.monotonic() - self._fetched > self._ttl:
            self._models = await self._llm.models()
            self._fetched = time.monotonic()
        return list(self._models)

    async def require(self, model: str) -> None:
        if model not in await self.models():
            available = await self.models(refresh=True)
            if model not in available:
                raise ModelNotFound(f"model {model!r} does not exist; available: {', '.join(available)}",
                                    param="model")
