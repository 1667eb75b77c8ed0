"""/readyz asks the engine at most once per RAGGUARD_READYZ_ENGINE_TTL_S, however many probers call.

The engine is a counting double (an httpx MockTransport): the point is how often it is asked.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
from asgi_lifespan import LifespanManager
from prometheus_client import CollectorRegistry

from index.embedder import SentenceTransformerEmbedder
from service.app import create_app
from tests.conftest import MODEL

ENGINE_KEY = "engine-key-0123456789abcdef"


class CountingEngine:
    """Answers /v1/models (after `delay_s`) and counts the calls and the bearer tokens they carried."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.up = True
        self.model_calls = 0
        self.tokens: set[str | None] = set()

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/models":
            self.model_calls += 1
            self.tokens.add(request.headers.get("authorization"))
            await asyncio.sleep(self.delay_s)
            if self.up:
                return httpx.Response(200, json={"object": "list", "data": [{"id": MODEL, "object": "model"}]})
            return httpx.Response(503, json={"error": {"message": "engine down"}})
        return httpx.Response(404)


@asynccontextmanager
async def gateway_on(engine: CountingEngine, settings: object,
                     embedder: SentenceTransformerEmbedder) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, registry=CollectorRegistry(), embedder=embedder,  # type: ignore[arg-type]
                     transport=httpx.MockTransport(engine))
    async with LifespanManager(app, startup_timeout=60):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


async def test_readyz_asks_the_engine_once_per_ttl(make_settings: Callable,
                                                   embedder: SentenceTransformerEmbedder) -> None:
    engine = CountingEngine()
    async with gateway_on(engine, make_settings(readyz_engine_ttl_s=0.5, engine_api_key=ENGINE_KEY),
                          embedder) as client:
        before = engine.model_calls
        statuses = [(await client.get("/readyz")).status_code for _ in range(20)]
        assert statuses == [200] * 20
        assert engine.model_calls - before == 1
        await asyncio.sleep(0.6)
        r = await client.get("/readyz")
        assert r.status_code == 200 and r.json()["engine_checked_s_ago"] < 0.1  # a fresh probe
        assert engine.model_calls - before == 2
    assert engine.tokens == {f"Bearer {ENGINE_KEY}"}  # the gateway sends the engine its key


async def test_concurrent_probers_share_one_engine_call(make_settings: Callable,
                                                        embedder: SentenceTransformerEmbedder) -> None:
    engine = CountingEngine(delay_s=0.3)
    async with gateway_on(engine, make_settings(readyz_engine_ttl_s=3.0), embedder) as client:
        before = engine.model_calls
        replies = await asyncio.gather(*(client.get("/readyz") for _ in range(16)))
        assert {r.status_code for r in replies} == {200}
        assert engine.model_calls - before == 1


async def test_a_down_engine_is_seen_after_the_ttl_and_draining_at_once(
        make_settings: Callable, embedder: SentenceTransformerEmbedder) -> None:
    engine = CountingEngine()
    async with gateway_on(engine, make_settings(readyz_engine_ttl_s=0.3), embedder) as client:
        assert (await client.get("/readyz")).status_code == 200
        engine.up = False
        await asyncio.sleep(0.4)
        r = await client.get("/readyz")
        assert r.status_code == 503 and r.json()["engine_reachable"] is False
        engine.up = True
        await asyncio.sleep(0.4)
        assert (await client.get("/readyz")).status_code == 200
        client.app.state.gateway.readiness.draining = True  # type: ignore[attr-defined]
        r = await client.get("/readyz")  # within the TTL: the cached engine answer does not hide draining
        assert r.status_code == 503 and r.json()["draining"] is True


async def test_ttl_zero_asks_every_time(make_settings: Callable, embedder: SentenceTransformerEmbedder) -> None:
    engine = CountingEngine()
    async with gateway_on(engine, make_settings(readyz_engine_ttl_s=0), embedder) as client:
        before = engine.model_calls
        for _ in range(3):
            assert (await client.get("/readyz")).status_code == 200
        assert engine.model_calls - before == 3
