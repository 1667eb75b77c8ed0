"""Engine requests end when they should: per-phase timeouts (connect, first token, total; each a 504 with
its own code and metric label) and a client that goes away (its engine request is closed)."""

import asyncio
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx

from tests.conftest import free_port
from tests.faulty_engine import faulty_engine
from tests.service.test_errors import CHAT, QUESTION, assert_envelope, metric

STREAM = {**QUESTION, "stream": True}
ANSWER = " ".join(["The gateway listens on port 8080 by default."] * 20)


def sse_events(text: str) -> list[str]:
    return [line[6:] for line in text.splitlines() if line.startswith("data: ")]


async def until(predicate: Callable[[], bool], seconds: float = 10.0) -> bool:
    """Wait for something that happens on another thread (the engine noticing a closed connection)."""
    for _ in range(int(seconds / 0.05)):
        if predicate():
            return True
        await asyncio.sleep(0.05)
    return predicate()


@contextmanager
def never_accepting_listener() -> Iterator[int]:
    """A port whose accept queue is full: new connections hang in the handshake, like a wedged engine host."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        fillers = []
        try:
            for _ in range(4):
                filler = socket.socket()
                filler.setblocking(False)
                filler.connect_ex(server.getsockname())
                fillers.append(filler)
            yield server.getsockname()[1]
        finally:
            for filler in fillers:
                filler.close()


async def test_connect_timeout_is_504_engine_connect_timeout(make_settings: Callable, gateway: Callable) -> None:
    with never_accepting_listener() as port:
        settings = make_settings(engine_url=f"http://127.0.0.1:{port}", engine_connect_timeout_s=0.5,
                                 rail_timeout_s=60.0)
        async with gateway(settings) as client:
            r = await client.post(CHAT, json=QUESTION)
            assert r.status_code == 504
            assert_envelope(r.json(), "engine_error", "engine_connect_timeout")
            text = (await client.get("/metrics")).text
            assert metric(text, "ragguard_engine_errors_total", kind="engine_connect_timeout") >= 1


async def test_first_token_timeout_is_504_before_the_stream_starts(make_settings: Callable,
                                                                   gateway: Callable) -> None:
    port = free_port()
    with faulty_engine(port, "slow_first_token") as engine:
        settings = make_settings(engine_url=f"http://127.0.0.1:{port}", engine_first_token_timeout_s=0.5,
                                 engine_timeout_s=30.0, rail_timeout_s=60.0)
        async with gateway(settings) as client:
            r = await client.post(CHAT, json=STREAM)
            assert r.status_code == 504  # the engine's role-only preamble does not start the client's stream
            assert_envelope(r.json(), "engine_error", "engine_first_token_timeout")
            text = (await client.get("/metrics")).text
            assert metric(text, "ragguard_engine_errors_total", kind="engine_first_token_timeout") == 1
            assert await until(lambda: engine["streams"]["cancelled"] == 1)  # the engine request was closed


async def test_total_timeout_ends_a_started_stream_with_an_error_event(make_settings: Callable,
                                                                       gateway: Callable) -> None:
    port = free_port()
    with faulty_engine(port, "trickle", answer=ANSWER, delay_s=0.2) as engine:
        settings = make_settings(engine_url=f"http://127.0.0.1:{port}", engine_timeout_s=1.5, rail_timeout_s=60.0)
        async with gateway(settings) as client:
            r = await client.post(CHAT, json=STREAM)
            assert r.status_code == 200
            events = sse_events(r.text)
            assert events[-1] == "[DONE]"
            assert '"engine_timeout"' in events[-2]
            text = (await client.get("/metrics")).text
            assert metric(text, "ragguard_engine_errors_total", kind="engine_timeout") == 1
            assert await until(lambda: engine["streams"]["cancelled"] == 1)
            assert engine["streams"]["finished"] == 0


def test_client_disconnect_closes_the_engine_request(gateway_process) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    with faulty_engine(port, "trickle", answer=ANSWER, delay_s=0.2) as engine:  # a ~40 s answer
        url = gateway_process(f"http://127.0.0.1:{port}", RAGGUARD_RAIL_TIMEOUT_S="60")
        with httpx.stream("POST", f"{url}/v1/chat/completions", json=STREAM, timeout=60) as r:
            assert r.status_code == 200
            assert any('"content": "The' in line for line in r.iter_lines())
            assert engine["streams"]["opened"] == 1
        # the client is gone: the gateway must close its engine request instead of generating on
        assert asyncio.run(until(lambda: engine["streams"]["cancelled"] == 1))
        assert engine["streams"]["finished"] == 0


async def test_a_rail_budget_spent_before_the_work_starts_never_wedges_the_gateway(
        make_settings: Callable, gateway: Callable) -> None:
    """Each request's rail budget runs out before its first rail job starts: every one fails closed, none is 503
    `overloaded` (the jobs that never ran used to keep their CPU workers for good: after two, the gateway refused
    everything)."""
    settings = make_settings(rail_timeout_s=1e-6, cpu_wait_s=0.5)
    async with gateway(settings) as client:
        codes = [(await client.post(CHAT, json=QUESTION)).json()["error"]["code"] for _ in range(8)]
    assert "overloaded" not in codes and set(codes) == {"rail_failed"}, codes
