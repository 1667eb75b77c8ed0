"""CPU work off the event loop: a few worker slots, a bound on the wait for one, and deadlines on the work.

Rails, embeddings and searches are CPU work; running more of them at once than there are cores only makes
each slower (and starves a local engine), so they take a slot first. Two promises follow from that:

- Waiting for a slot is not working. A request that cannot get a slot within `wait_s` is refused with
  503 `overloaded` + Retry-After; it never counts as a rail timeout (which `open` policy would let through).
- A deadline bounds the work, not the wait. When it passes, the caller stops waiting (TimeoutError) and the
  thread is abandoned, since Python cannot stop it; its slot stays taken until the thread really ends, so an
  expensive request that timed out cannot let more work pile onto the same cores. Work cancelled or timed out
  before a worker thread started it never runs, and its slot is given back at once (else it would be lost
  for good, and two such losses would leave a 2-worker gateway refusing everything).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
from anyio import from_thread, to_thread

from service.errors import Overloaded

T = TypeVar("T")


class Budget:
    """One request's rail deadline: every piece of rail work draws on the same `seconds`."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.spent = 0.0

    def left(self) -> float:
        return max(self.seconds - self.spent, 0.0)


class CpuSlots:
    """`workers` threads doing CPU work at once; a caller waits at most `wait_s` for one."""

    def __init__(self, workers: int, wait_s: float) -> None:
        self._limiter = anyio.CapacityLimiter(workers)
        self.wait_s = wait_s

    @property
    def busy(self) -> int:
        return int(self._limiter.borrowed_tokens)

    async def run(self, fn: Callable[..., T], *args: Any, budget: Budget | None = None) -> T:
        """`fn(*args)` in a worker thread once a slot is free; with `budget`, TimeoutError once it is spent."""
        token = object()
        try:
            with anyio.fail_after(self.wait_s):
                await self._limiter.acquire_on_behalf_of(token)
        except TimeoutError:
            raise Overloaded(f"gateway is at capacity (no CPU worker free within {self.wait_s:g} s); retry later",
                             headers={"Retry-After": str(max(1, round(self.wait_s)))}) from None

        claimed = threading.Lock()  # taken once: by the worker that runs fn, or by a caller that gave up first

        def work() -> T:
            if not claimed.acquire(blocking=False):
                raise TimeoutError("cancelled before it started")  # the caller has released the slot already
            try:
                return fn(*args)
            finally:  # from the worker itself: an abandoned thread keeps its slot until it ends
                try:
                    from_thread.run_sync(self._limiter.release_on_behalf_of, token)
                except RuntimeError:  # the event loop is gone (shutdown): nothing left to release to
                    pass

        started = time.perf_counter()
        try:
            if budget is None:
                return await to_thread.run_sync(work)
            with anyio.fail_after(budget.left()):
                return await to_thread.run_sync(work, abandon_on_cancel=True)
        except BaseException:
            if claimed.acquire(blocking=False):  # cancelled or timed out before a worker ran fn: free the slot
                self._limiter.release_on_behalf_of(token)
            raise
        finally:
            if budget is not None:
                budget.spent += time.perf_counter() - started
