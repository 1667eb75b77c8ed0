"""#25: the rate limit holds across replicas through a real Redis (`redis-server`, installed by `make system-deps`);
with Redis down each replica fails open to its own window of the same limit, counted; Redis back, shared again."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port
from tests.service.test_errors import metric

LIMIT = 10


class RedisServer:
    """A real redis-server on 127.0.0.1, nothing persisted; stop() and start() again on the same port."""

    def __init__(self, folder: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed: run `make system-deps` (Debian package redis-server)")
        self.port, self._folder, self._binary = free_port(), folder, binary
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._proc = subprocess.Popen([self._binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                       "--appendonly", "no", "--dir", str(self._folder)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError("redis-server did not start")

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            self._proc.wait(timeout=20)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def _retrieve(url: str) -> httpx.Response:
    return httpx.post(f"{url}/v1/retrieve", json={"query": "What does the gateway check?", "top_k": 1}, timeout=60)


def test_the_limit_holds_across_two_replicas_and_fails_open_per_replica_without_redis(
        redis_server: RedisServer, gateway_process: Callable[..., str]) -> None:
    engine = f"http://127.0.0.1:{free_port()}"  # /v1/retrieve needs no engine
    env = {"RAGGUARD_REDIS_URL": redis_server.url, "RAGGUARD_RATE_LIMIT": f"{LIMIT}/minute",
           "RAGGUARD_REDIS_RETRY_S": "1", "RAGGUARD_INDEX_WATCH_S": "0"}
    a, b = gateway_process(engine, **env), gateway_process(engine, **env)

    answers = [(url, _retrieve(url)) for _ in range(15) for url in (a, b)]
    ok = [url for url, r in answers if r.status_code == 200]
    assert len(ok) == LIMIT and {a, b} <= set(ok)  # both served, together no more than the one limit
    refused = [r for _, r in answers if r.status_code != 200]
    assert len(refused) == 2 * 15 - LIMIT and all(r.status_code == 429 for r in refused)
    for r in refused:
        assert r.json()["error"]["type"] == "rate_limit_error" and int(r.headers["Retry-After"]) >= 1

    redis_server.stop()  # each replica now limits alone: fail open, counted, never a 500
    down = [_retrieve(a).status_code for _ in range(LIMIT + 2)]
    assert down == [200] * LIMIT + [429, 429]
    text = httpx.get(f"{a}/metrics").text
    bypassed = sum(metric(text, "ragguard_rate_limit_bypass_total", reason=r) for r in ("error", "timeout", "down"))
    assert bypassed == LIMIT + 2 and metric(text, "ragguard_rate_limit_bypass_total", reason="down") >= 1

    redis_server.start()  # empty again (nothing persisted): a, past its own window, is let in by the shared one
    deadline = time.monotonic() + 15
    while (status := _retrieve(a).status_code) != 200 and time.monotonic() < deadline:
        time.sleep(0.3)
    assert status == 200, "the shared limit did not come back with Redis"
