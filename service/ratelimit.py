"""Per-tenant request rate limits with `limits` (in-process, or shared through Redis)."""

from __future__ import annotations

import math
import time

from limits import parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from service.errors import RateLimited


class TenantRateLimiter:
    def __init__(self, rate: str, redis_url: str = "") -> None:
        self._item = parse(rate) if rate else None
        storage = storage_from_string("async+" + redis_url) if redis_url else MemoryStorage()
        self._limiter = MovingWindowRateLimiter(storage)

    async def hit(self, tenant: str) -> None:
        if self._item is None:
            return
        if not await self._limiter.hit(self._item, tenant):
            stats = await self._limiter.get_window_stats(self._item, tenant)
            retry = max(1, math.ceil(stats.reset_time - time.time()))
            raise RateLimited(f"rate limit {self._item} exceeded for this key",
                              headers={"Retry-After": str(retry)})
