"""Admission control: a bound on in-flight chat requests and a bounded, timed queue in front of it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from service.errors import Overloaded


class Admission:
    """Beyond max_in_flight requests wait up to queue_timeout_s; beyond max_queue they get 503 at once."""

    def __init__(self, max_in_flight: int, max_queue: int, queue_timeout_s: float) -> None:
        self._slots = asyncio.Semaphore(max_in_flight)
        self._max_queue = max_queue
        self._timeout = queue_timeout_s
        self._waiting = 0

    def _overloaded(self, why: str) -> Overloaded:
        return Overloaded(f"gateway is at capacity ({why}); retry later",
                          headers={"Retry-After": str(max(1, round(self._timeout)))})

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self._slots.locked() and self._waiting >= self._max_queue:
            raise self._overloaded("queue full")
        self._waiting += 1
        try:
            await asyncio.wait_for(self._slots.acquire(), self._timeout)
        except TimeoutError:
            raise self._overloaded("queue timeout") from None
        finally:
            self._waiting -= 1
        try:
            yield
        finally:
            self._slots.release()
