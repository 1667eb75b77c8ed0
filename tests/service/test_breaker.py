"""The engine circuit breaker: opens after repeated failures, fails fast with Retry-After, recovers via one probe."""

import asyncio
from collections.abc import Callable

import pytest

from service.breaker import BreakerState, CircuitBreaker
from service.errors import EngineError, EngineRejected, EngineUnavailable
from service.llm import is_engine_failure
from tests.conftest import MODEL, free_port
from tests.faulty_engine import faulty_engine
from tests.service.test_errors import CHAT, QUESTION, assert_envelope, metric


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def breaker(clock: Clock, moves: list[BreakerState] | None = None) -> CircuitBreaker:
    return CircuitBreaker(2, 10.0, is_failure=is_engine_failure,
                          on_change=(moves if moves is not None else []).append, clock=clock)


def fail(b: CircuitBreaker, exc: Exception | None = None) -> None:
    with pytest.raises(type(exc) if exc else EngineError), b.call():
        raise exc or EngineError("boom")


def test_opens_after_consecutive_failures_and_fails_fast_with_retry_after() -> None:
    clock, moves = Clock(), []
    b = breaker(clock, moves)
    fail(b)
    with b.call():
        pass  # a success in between resets the count
    fail(b)
    assert b.state == BreakerState.CLOSED
    fail(b)
    assert b.state == BreakerState.OPEN and moves == [BreakerState.OPEN]
    clock.now += 3
    with pytest.raises(EngineUnavailable) as refused, b.call():
        raise AssertionError("an open circuit must not call the engine")
    assert refused.value.code == "circuit_open" and refused.value.headers["Retry-After"] == "7"


def test_half_open_lets_one_probe_through_and_closes_on_success() -> None:
    clock, moves = Clock(), []
    b = breaker(clock, moves)
    fail(b), fail(b)
    clock.now += 10
    with b.call():
        assert b.state == BreakerState.HALF_OPEN
        with pytest.raises(EngineUnavailable), b.call():  # a second caller while the probe is out
            pass
    assert b.state == BreakerState.CLOSED
    assert moves == [BreakerState.OPEN, BreakerState.HALF_OPEN, BreakerState.CLOSED]


def test_failed_probe_reopens_and_engine_4xx_or_cancellation_do_not_count() -> None:
    clock = Clock()
    b = breaker(clock)
    fail(b), fail(b)
    clock.now += 10
    fail(b)  # the probe fails: open again, for a full cooldown
    assert b.state == BreakerState.OPEN
    clock.now += 10
    with pytest.raises(asyncio.CancelledError), b.call():  # the client went away: no verdict
        raise asyncio.CancelledError
    assert b.state == BreakerState.HALF_OPEN
    fail(b, EngineRejected("too long", status_code=400))  # the engine answered: it is alive
    assert b.state == BreakerState.CLOSED
    fail(b, EngineRejected("too long", status_code=400)), fail(b, EngineRejected("too long", status_code=400))
    assert b.state == BreakerState.CLOSED


async def test_failing_engine_opens_the_circuit_then_a_probe_closes_it(make_settings: Callable,
                                                                         gateway: Callable) -> None:
    port = free_port()
    with faulty_engine(port, "error500", answer="The gateway listens on port 8080 by default.") as engine:
        settings = make_settings(engine_url=f"http://127.0.0.1:{port}", breaker_failures=2, breaker_cooldown_s=5.0,
                                 rail_timeout_s=60.0)  # a cooldown longer than a slow CPU takes for the next request
        async with gateway(settings) as client:
            statuses = [(await client.post(CHAT, json=QUESTION)).status_code for _ in range(2)]
            assert statuses == [502, 502]
            calls = engine["calls"]
            r = await client.post(CHAT, json={**QUESTION, "stream": True})
            assert r.status_code == 503
            assert_envelope(r.json(), "engine_error", "circuit_open")
            assert int(r.headers["retry-after"]) >= 1
            assert engine["calls"] == calls  # failed fast: the engine was not called
            ready = (await client.get("/readyz")).json()
            assert ready["engine_circuit"] == "open" and ready["engine_reachable"] is True
            text = (await client.get("/metrics")).text
            assert metric(text, "ragguard_engine_circuit_state") == 1
            assert metric(text, "ragguard_engine_circuit_transitions_total", state="open") == 1
            assert metric(text, "ragguard_engine_errors_total", kind="circuit_open") == 1

            engine["mode"] = "ok"
            await asyncio.sleep(5.2)  # the cooldown
            r = await client.post(CHAT, json={"model": MODEL, "messages": QUESTION["messages"]})
            assert r.status_code == 200, r.text
            text = (await client.get("/metrics")).text
            assert metric(text, "ragguard_engine_circuit_state") == 0
            assert metric(text, "ragguard_engine_circuit_transitions_total", state="half_open") == 1
            assert metric(text, "ragguard_engine_circuit_transitions_total", state="closed") == 1
            assert (await client.get("/readyz")).json()["engine_circuit"] == "closed"
