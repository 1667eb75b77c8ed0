"""Readiness: engine reachable, index loaded, models warm, not draining; also the engine circuit's state."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import anyio

from service.base import ServedIndex
from service.breaker import CircuitBreaker
from service.catalog import ModelCatalog
from service.errors import GatewayError


@dataclass
class Readiness:
    catalog: ModelCatalog
    index: ServedIndex
    embedder_warm: bool
    breaker: CircuitBreaker | None = None
    draining: bool = False  # set on SIGTERM, before the server stops accepting (see service/cli.py)
    # the last engine probe and when it ran: probers (kubelet, load balancers, scrapers) share it for a while
    _engine: dict[str, object] = field(default_factory=dict, init=False, repr=False)
    _probed_at: float = field(default=-math.inf, init=False, repr=False)
    _probe_lock: anyio.Lock = field(default_factory=anyio.Lock, init=False, repr=False)

    async def check(self, engine_max_age_s: float = 0.0) -> dict[str, object]:
        """The checks; the engine is asked only when its last answer is older than `engine_max_age_s`."""
        chunks = len(self.index)
        checks: dict[str, object] = {"index_loaded": chunks > 0, "index_chunks": chunks,
                                     "index_version": self.index.version,
                                     "embedder_warm": self.embedder_warm, "draining": self.draining}
        if self.breaker is not None:  # reported, not gating: an open circuit already fails requests fast
            checks["engine_circuit"] = self.breaker.state.name.lower()
        checks.update(await self._engine_checks(engine_max_age_s))
        checks["ready"] = bool(checks["engine_reachable"] and checks["index_loaded"]
                               and self.embedder_warm and not self.draining)
        return checks

    async def _engine_checks(self, max_age_s: float) -> dict[str, object]:
        # One probe at a time: callers arriving while it runs wait for it and share its answer.
        async with self._probe_lock:
            if time.monotonic() - self._probed_at >= max_age_s:
                self._engine = await self._probe_engine()
                self._probed_at = time.monotonic()
            return {**self._engine, "engine_checked_s_ago": round(time.monotonic() - self._probed_at, 3)}

    async def _probe_engine(self) -> dict[str, object]:
        try:
            return {"engine_models": await self.catalog.models(refresh=True), "engine_reachable": True}
        except GatewayError as exc:
            return {"engine_reachable": False, "engine_error": exc.message}
