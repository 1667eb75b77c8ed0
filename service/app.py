"""The app factory: create_app(settings) builds everything; the lifespan opens and closes it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from anyio import to_thread
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from guardrails.grounding_model import make_output_rail
from index.base import Embedder
from index.embedder import load_embedder
from index.hybrid import CrossEncoderReranker, Fusion
from index.live import LiveIndex
from service.admission import Admission
from service.auth import KeyStore
from service.catalog import ModelCatalog
from service.collections import Collections
from service.errors import install_error_handlers
from service.index_watch import follow_pointer
from service.llm import OpenAIEngineClient, make_http_client
from service.metrics import Metrics
from service.middleware import BodyLimitMiddleware, RequestMetricsMiddleware
from service.pipeline.assemble import build_road
from service.policy import load_policy
from service.policy_watch import watch_policy
from service.rails import build_rails, prompt_embedders
from service.ratelimit import TenantRateLimiter
from service.readiness import Readiness
from service.routes import admin, chat, grounding, guardrails, health, models, playground, retrieve
from service.settings import Settings
from service.state import Gateway
from service.tenancy import Tenancy
from service.tracing import get_tracer, make_tracer_provider

logger = logging.getLogger(__name__)


def create_app(settings: Settings, *, registry: CollectorRegistry | None = None,
               transport: httpx.AsyncBaseTransport | None = None,
               embedder: Embedder | None = None) -> FastAPI:
    """Build the gateway. `transport` and `embedder` let tests reuse or fault-inject real parts (an injected
    embedder serves every stage, the fact-check included)."""
    settings.refuse_unsafe()
    if settings.policy_file is not None:
        load_policy(settings.policy_file)  # a bad file is a ValueError here, before any model loads
    registry = registry or CollectorRegistry()
    metrics = Metrics.create(registry)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        keys = KeyStore.from_settings(settings)
        if keys.open:
            logger.warning("DEV MODE: no API keys configured, EVERY CLIENT IS ACCEPTED (RAGGUARD_DEV_MODE=true)")

        def load(int8: bool, fallback: bool = True) -> Embedder:
            return load_embedder(settings.embedder_model, settings.embedder_threads, settings.embedder_backend,
                                 int8=int8, cache_dir=settings.cache_dir, fallback=fallback)

        emb, precise = (embedder, None) if embedder else await to_thread.run_sync(prompt_embedders, settings, load)
        await to_thread.run_sync(emb.embed, ["warm up"])
        # The fact-check's embedder: an injected one serves every stage; else a loaded one of the kind it wants.
        kind = [e for e in (emb, precise) if e is not None and e.int8 == settings.grounding_int8]
        check_emb = emb if embedder else kind[0] if kind else await to_thread.run_sync(load, settings.grounding_int8)
        fusion = Fusion(settings.rrf_k, settings.rrf_dense_weight, settings.rrf_bm25_weight, method=settings.fusion,
                        alpha=settings.fusion_alpha)
        reranker = CrossEncoderReranker(settings.reranker_model) if settings.reranker_model else None

        def live(root: Path) -> LiveIndex:
            return LiveIndex(root, emb.name, emb.dim, fusion, reranker)

        index = await to_thread.run_sync(live, settings.index_dir)
        collections = await to_thread.run_sync(Collections.open, index, live)  # INDEX_DIR/collections/NAME
        rails = await to_thread.run_sync(build_rails, settings, emb, precise)
        output_rail = await to_thread.run_sync(lambda: make_output_rail(
            settings.grounding_rail, check_emb, settings.grounding_threshold, settings.grounding_model_threshold,
            settings.grounding_timeout_s))
        tracer_provider = make_tracer_provider(settings)
        async with make_http_client(settings, transport) as http:
            llm = OpenAIEngineClient(http, settings, metrics)
            catalog = ModelCatalog(llm, adapters=settings.adapters)
            road = build_road(settings, metrics, get_tracer(tracer_provider), emb, collections, rails, output_rail,
                              llm, catalog)
            app.state.gateway = gateway = Gateway(
                settings=settings, metrics=metrics, registry=registry, keys=keys,
                rate_limiter=TenantRateLimiter(settings.rate_limit, settings.redis_url,
                                               bypasses=metrics.rate_limit_bypasses,
                                               redis_timeout_s=settings.redis_timeout_s,
                                               redis_retry_s=settings.redis_retry_s),
                admission=Admission(settings.max_in_flight, settings.max_queue, settings.queue_timeout_s),
                collections=collections, catalog=catalog,
                readiness=Readiness(catalog, index, embedder_warm=True, breaker=llm.breaker), road=road,
                tenancy=Tenancy(road, rails, set(collections.named), metrics.policy_info))
            if settings.policy_file is not None:  # checked against the collections and rails now loaded
                await to_thread.run_sync(gateway.tenancy.load, settings.policy_file)
            logger.info("gateway ready: engine %s, index %s (%d chunks), collections: %s, policy %s",
                        settings.engine_url, settings.index_dir, len(index), ", ".join(collections.named) or "none",
                        gateway.tenancy.policy.label)
            every = settings.index_watch_s
            watches = [asyncio.create_task(follow_pointer(live_index, road.retrieval.rail_identity, every, metrics))
                       for live_index in collections.all().values()] if every > 0 else []
            if settings.policy_file is not None and settings.policy_watch_s > 0:
                watches.append(asyncio.create_task(watch_policy(gateway.tenancy, settings.policy_file,
                                                                settings.policy_watch_s, metrics)))
            yield
            gateway.readiness.draining = True
            for watch in watches:
                watch.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watch
        if tracer_provider is not None:
            tracer_provider.shutdown()

    app = FastAPI(title="ragguard", version="0.1.0", lifespan=lifespan,
                  description="RAG + guardrails gateway with an OpenAI-compatible API.")
    install_error_handlers(app)
    for router in (chat.router, models.router, health.router, guardrails.router, retrieve.router,
                   playground.router, grounding.router, admin.router, admin.collections_router,
                   admin.policy_router):
        app.include_router(router)
    app.add_middleware(RequestMetricsMiddleware, metrics=metrics)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    return app
