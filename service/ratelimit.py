"""Per-tenant request rate limits with `limits`: in-process, or shared by every replica through Redis.

With RAGGUARD_REDIS_URL every replica counts in one Redis moving window, so the limit holds for the tenant
however many replicas the Service spreads its requests over.

Redis down (an error, or slower than RAGGUARD_REDIS_TIMEOUT_S): fail open to this replica's own in-memory
window of the same limit, counted in `ragguard_rate_limit_bypass_total{reason}` and logged; Redis is asked
again after RAGGUARD_REDIS_RETRY_S. Why not 503: the rate limit guards cost and fairness, not the gateway's
health (admission control and the engine's circuit do that), so losing a counter store should not take every
replica down with it; the per-replica window still bounds a tenant at (replicas x limit) meanwhile.
"""

from __future__ import annotations

import logging
import math
import time

import anyio
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from prometheus_client import Counter

from service.errors import RateLimited

logger = logging.getLogger(__name__)


class TenantRateLimiter:
    def __init__(self, rate: str, redis_url: str = "", *, bypasses: Counter | None = None,
                 redis_timeout_s: float = 0.5, redis_retry_s: float = 5.0) -> None:
        self._parsed: dict[str, RateLimitItem | None] = {}  # each rate (per-tenant ones: the policy) parsed once
        self._item = self._parse(rate)
        self._local = MovingWindowRateLimiter(MemoryStorage())
        self._shared = MovingWindowRateLimiter(storage_from_string("async+" + redis_url, wrap_exceptions=True)
                                               ) if redis_url else None
        self._bypasses, self._timeout_s, self._retry_s = bypasses, redis_timeout_s, redis_retry_s
        self._shared_down_until = -math.inf

    async def hit(self, tenant: str, rate: str | None = None) -> None:
        """Count one request of `tenant` against `rate` (None: the configured one; "": none, e.g. the tenant's
        from the policy file); raises RateLimited (429 with Retry-After) past the limit."""
        item = self._item if rate is None else self._parse(rate)
        if item is None:
            return
        limiter, allowed = self._shared, await self._shared_hit(item, tenant)
        if allowed is None:  # no shared store, or it cannot answer now: this replica's own window
            limiter, allowed = self._local, await self._local.hit(item, tenant)
        if not allowed:
            assert limiter is not None
            raise RateLimited(f"rate limit {item} exceeded for this key",
                              headers={"Retry-After": str(await self._retry_after(limiter, item, tenant))})

    def _parse(self, rate: str) -> RateLimitItem | None:
        if rate not in self._parsed:
            self._parsed[rate] = parse(rate) if rate else None
        return self._parsed[rate]

    async def _shared_hit(self, item: RateLimitItem, tenant: str) -> bool | None:
        """The shared window's answer; None without one, or while it fails (each such request counted)."""
        if self._shared is None:
            return None
        reason = "down"  # failed recently: not asked again until the retry time
        if time.monotonic() >= self._shared_down_until:
            try:
                with anyio.fail_after(self._timeout_s):
                    return await self._shared.hit(item, tenant)
            except Exception as exc:  # any failure of the store (down, reset, misbehaving client): fail open
                reason = "timeout" if isinstance(exc, TimeoutError) else "error"
                self._shared_down_until = time.monotonic() + self._retry_s
                logger.warning("rate-limit store failed (%s: %s): limiting per replica, asking again in %.0f s",
                               reason, exc, self._retry_s)
        if self._bypasses is not None:
            self._bypasses.labels(reason).inc()
        return None

    async def _retry_after(self, limiter: MovingWindowRateLimiter, item: RateLimitItem, tenant: str) -> int:
        try:
            with anyio.fail_after(self._timeout_s):
                stats = await limiter.get_window_stats(item, tenant)
        except Exception:  # the store failed between the hit and this read: the whole window is an upper bound
            return item.get_expiry()
        return max(1, math.ceil(stats.reset_time - time.time()))
