"""A circuit breaker around the engine: open after N consecutive failures, one probe after a cooldown.

    closed --N consecutive failures--> open --cooldown--> half_open --probe ok--> closed
                                        ^                     |
                                        +----probe failed-----+

While open (and while the half-open probe is out) calls fail at once with 503 `circuit_open` and a
Retry-After, so a dead or sick engine is not hammered and clients do not wait for timeouts.
"""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from service.errors import EngineUnavailable


class BreakerState(enum.IntEnum):
    """The values are what the `ragguard_engine_circuit_state` gauge shows."""

    CLOSED = 0
    OPEN = 1
    HALF_OPEN = 2


class CircuitBreaker:
    """Counts consecutive failures; `call()` guards one engine call, `is_failure` says which errors count."""

    def __init__(self, failures: int, cooldown_s: float, is_failure: Callable[[BaseException], bool],
                 on_change: Callable[[BreakerState], None] = lambda _state: None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._threshold = failures
        self._cooldown = cooldown_s
        self._is_failure = is_failure
        self._on_change = on_change
        self._clock = clock
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probing = False

    @property
    def state(self) -> BreakerState:
        return self._state

    def _move(self, state: BreakerState) -> None:
        if state != self._state:
            self._state = state
            self._on_change(state)

    def _admit(self) -> None:
        if self._state == BreakerState.OPEN:
            waited = self._clock() - self._opened_at
            if waited < self._cooldown:
                raise self._rejection(self._cooldown - waited)
            self._move(BreakerState.HALF_OPEN)
        if self._state == BreakerState.HALF_OPEN:
            if self._probing:
                raise self._rejection(self._cooldown)
            self._probing = True

    def _rejection(self, retry_after_s: float) -> EngineUnavailable:
        return EngineUnavailable("engine circuit is open after repeated failures; retry later", code="circuit_open",
                                 headers={"Retry-After": str(max(1, math.ceil(retry_after_s)))})

    def _record(self, failed: bool) -> None:
        self._probing = False
        if not failed:
            self._failures = 0
            self._move(BreakerState.CLOSED)
            return
        self._failures += 1
        if self._state == BreakerState.HALF_OPEN or self._failures >= self._threshold:
            self._opened_at = self._clock()
            self._move(BreakerState.OPEN)

    @contextmanager
    def call(self) -> Iterator[None]:
        """Guard one call: refused while open; its outcome (unless abandoned) moves the breaker."""
        self._admit()
        try:
            yield
        except BaseException as exc:
            if self._is_failure(exc):
                self._record(failed=True)
            elif isinstance(exc, Exception):
                self._record(failed=False)  # the engine answered (e.g. a 4xx): it is alive
            else:
                self._probing = False  # cancelled (client went away): no verdict on the engine
            raise
        self._record(failed=False)
