"""Readiness: engine reachable, index loaded, models warm."""

from __future__ import annotations

from dataclasses import dataclass

from service.catalog import ModelCatalog
from service.errors import GatewayError


@dataclass
class Readiness:
    catalog: ModelCatalog
    index_chunks: int
    embedder_warm: bool
    draining: bool = False

    async def check(self) -> dict[str, object]:
        checks: dict[str, object] = {"index_loaded": self.index_chunks > 0, "index_chunks": self.index_chunks,
                                     "embedder_warm": self.embedder_warm, "draining": self.draining}
        try:
            checks["engine_models"] = await self.catalog.models(refresh=True)
            checks["engine_reachable"] = True
        except GatewayError as exc:
            checks["engine_reachable"] = False
            checks["engine_error"] = exc.message
        checks["ready"] = bool(checks["engine_reachable"] and checks["index_loaded"]
                               and self.embedder_warm and not self.draining)
        return checks
