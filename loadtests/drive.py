"""A bounded closed-loop load on the chat route: N workers ask the sample questions until a deadline or a count.

Shared by `loadtests/soak.py` (steady load, RSS over time) and `loadtests/overload.py` (shed load at 2x).
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx
import psutil

from loadtests.questions import load_questions

SHED = ("429", "503")  # what an over-capacity gateway is allowed to answer (with Retry-After) ...
SHED_CODES = ("rate_limit_exceeded", "overloaded", "circuit_open")  # ... for these reasons; a 503 rail_failed is not


@dataclass
class LoadTally:
    """What the clients saw: `200`, `<status> <error code>` or `error:<Exception>` counts, latencies of 200s,
    and sheds (429/503) without Retry-After."""

    statuses: Counter[str] = field(default_factory=Counter)
    ok_seconds: list[float] = field(default_factory=list)
    shed_without_retry_after: int = 0
    seconds: float = 0.0

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    def shares(self) -> dict[str, float]:
        """Share of requests answered 200, 429/503 (shed), and anything else."""
        n = self.requests or 1
        ok = self.statuses["200"]
        shed = sum(n for key, n in self.statuses.items() if is_shed(key))
        return {"ok": ok / n, "shed": shed / n, "other": (n - ok - shed) / n}

    def throughput(self) -> float:
        return self.statuses["200"] / self.seconds if self.seconds else 0.0

    def p50_p95(self) -> tuple[float, float]:
        if len(self.ok_seconds) < 2:
            only = self.ok_seconds[0] if self.ok_seconds else 0.0
            return only, only
        q = statistics.quantiles(self.ok_seconds, n=20)
        return statistics.median(self.ok_seconds), q[18]


def is_shed(key: str) -> bool:
    status, _, code = key.partition(" ")
    return status in SHED and code in SHED_CODES


def error_code(response: httpx.Response) -> str:
    """The OpenAI envelope's error code (`overloaded`, `rate_limit_exceeded`, ...), or `?`."""
    try:
        return str(response.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return "?"


async def drive(url: str, concurrency: int, duration_s: float, max_requests: int, *, model: str = "gemma-3-270m",
                max_tokens: int = 16, api_key: str = "unused-in-dev-mode", timeout_s: float = 180.0) -> LoadTally:
    """Run `concurrency` workers against url until duration_s passed or max_requests were sent."""
    tally = LoadTally()
    questions = itertools.cycle(load_questions())
    sent = itertools.count()
    deadline = time.monotonic() + duration_s
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def worker(client: httpx.AsyncClient) -> None:
        while time.monotonic() < deadline and next(sent) < max_requests:
            body = {"model": model, "max_tokens": max_tokens,
                    "messages": [{"role": "user", "content": next(questions)}]}
            started = time.monotonic()
            try:
                r = await client.post("/v1/chat/completions", json=body)
            except httpx.HTTPError as exc:
                tally.statuses[f"error:{type(exc).__name__}"] += 1
                continue
            if r.status_code == 200:
                tally.statuses["200"] += 1
                tally.ok_seconds.append(time.monotonic() - started)
                continue
            tally.statuses[f"{r.status_code} {error_code(r)}"] += 1
            if str(r.status_code) in SHED:
                tally.shed_without_retry_after += "retry-after" not in r.headers
                await asyncio.sleep(0.05)  # a shed request returns at once; do not spin

    started = time.monotonic()
    async with httpx.AsyncClient(base_url=url, timeout=timeout_s, limits=limits,
                                 headers={"Authorization": f"Bearer {api_key}"}) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    tally.seconds = time.monotonic() - started
    return tally


def listening_pid(url: str) -> int:
    """The pid of the local process listening on url's port (the gateway), for RSS sampling."""
    port = httpx.URL(url).port
    for conn in psutil.net_connections(kind="tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port and conn.pid:
            return conn.pid
    raise LookupError(f"no local process of this user listens on port {port}; pass --pid")


def format_statuses(tally: LoadTally) -> str:
    return ", ".join(f"{k}: {v}" for k, v in sorted(tally.statuses.items()))
