"""Graceful shutdown of the real `ragguard serve`: on SIGTERM readiness goes false first, the in-flight
stream finishes with [DONE], and the process exits 0 within the grace deadline."""

import os
import signal

import httpx
import psutil

from loadtests.drive import listening_pid
from tests.conftest import free_port
from tests.faulty_engine import faulty_engine
from tests.service.test_timeouts import STREAM

ANSWER = " ".join(["The gateway listens on port 8080 by default."] * 8)


def test_sigterm_drains_the_in_flight_stream(gateway_process) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    with faulty_engine(port, "trickle", answer=ANSWER, delay_s=0.1) as engine:  # a ~7 s answer
        url = gateway_process(f"http://127.0.0.1:{port}", RAGGUARD_SHUTDOWN_DELAY_S="3",
                              RAGGUARD_SHUTDOWN_GRACE_S="60", RAGGUARD_RAIL_TIMEOUT_S="60")
        gateway = psutil.Process(listening_pid(url))
        assert httpx.get(f"{url}/readyz", timeout=10).status_code == 200
        with httpx.stream("POST", f"{url}/v1/chat/completions", json=STREAM, timeout=60) as r:
            assert r.status_code == 200
            lines = r.iter_lines()
            assert any('"content": "The' in line for line in lines)  # the answer is streaming
            os.kill(gateway.pid, signal.SIGTERM)
            ready = httpx.get(f"{url}/readyz", timeout=10)  # within the delay, before accepting stops
            assert ready.status_code == 503 and ready.json()["draining"] is True
            rest = list(lines)
        assert rest[-1] == "data: [DONE]" or "data: [DONE]" in rest
        assert not any('"error"' in line for line in rest)
        assert gateway.wait(timeout=60) == 0
        assert engine["streams"]["finished"] == 1 and engine["streams"]["cancelled"] == 0
