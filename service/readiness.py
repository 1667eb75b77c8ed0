"""Readiness: engine reachable, index loaded, models warm, not draining; also the engine circuit's state."""

from __future__ import annotations

from dataclasses import dataclass

from service.breaker import CircuitBreaker
from service.catalog import ModelCatalog
from service.errors import GatewayError


@dataclass
class Readiness:
    catalog: ModelCatalog
    index_chunks: int
    embedder_warm: bool
    breaker: CircuitBreaker | None = None
    draining: bool = False  # set on SIGTERM, before the server stops accepting (see service/cli.py)

    async def check(self) -> dict[str, object]:
        checks: dict[str, object] = {"index_loaded": self.index_chunks > 0, "index_chunks": self.index_chunks,
                                     "embedder_warm": self.embedder_warm, "draining": self.draining}
        if self.breaker is not None:  # reported, not gating: an open circuit already fails requests fast
            checks["engine_circuit"] = self.breaker.state.name.lower()
        try:
            checks["engine_models"] = await self.catalog.models(refresh=True)
            checks["engine_reachable"] = True
        except GatewayError as exc:
            checks["engine_reachable"] = False
            checks["engine_error"] = exc.message
        checks["ready"] = bool(checks["engine_reachable"] and checks["index_loaded"]
                               and self.embedder_warm and not self.draining)
        return checks
