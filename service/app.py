"""The app factory: create_app(settings) builds everything; the lifespan opens and closes it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from anyio import to_thread
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from guardrails.classifier import HarmfulRail, InjectionClassifierRail, PromptScorer
from guardrails.grounding import EmbeddingGroundingRail
from guardrails.injection import InjectionRail
from guardrails.verdict import InputRail
from index.embedder import Embedder, SentenceTransformerEmbedder
from index.store import FaissIndex
from service.admission import Admission
from service.auth import KeyStore
from service.catalog import ModelCatalog
from service.errors import install_error_handlers
from service.llm import OpenAIEngineClient, make_http_client
from service.metrics import Metrics
from service.middleware import BodyLimitMiddleware, RequestMetricsMiddleware
from service.pipeline import Pipeline
from service.ratelimit import TenantRateLimiter
from service.readiness import Readiness
from service.routes import chat, health, models
from service.settings import Settings
from service.tracing import get_tracer, make_tracer_provider

logger = logging.getLogger(__name__)


def build_input_rails(embedder: Embedder) -> list[InputRail]:
    """Fast rules first, then the trained head (one scorer shared by both learned rails)."""
    scorer = PromptScorer(embedder)
    return [InjectionRail(), InjectionClassifierRail(scorer), HarmfulRail(scorer)]


def create_app(settings: Settings, *, registry: CollectorRegistry | None = None,
               transport: httpx.AsyncBaseTransport | None = None,
               embedder: Embedder | None = None) -> FastAPI:
    """Build the gateway. `transport` and `embedder` let tests reuse or fault-inject real parts."""
    settings.refuse_unsafe()
    registry = registry or CollectorRegistry()
    metrics = Metrics.create(registry)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        keys = KeyStore.from_settings(settings)
        if keys.open:
            logger.warning("DEV MODE: no API keys configured, EVERY CLIENT IS ACCEPTED (RAGGUARD_DEV_MODE=true)")
        app.state.keys = keys
        app.state.rate_limiter = TenantRateLimiter(settings.rate_limit, settings.redis_url)
        app.state.admission = Admission(settings.max_in_flight, settings.max_queue, settings.queue_timeout_s)
        emb = embedder or await to_thread.run_sync(
            lambda: SentenceTransformerEmbedder(settings.embedder_model, threads=settings.embedder_threads))
        await to_thread.run_sync(emb.embed, ["warm up"])
        index = await to_thread.run_sync(FaissIndex.load, settings.index_dir, emb.name, emb.dim)
        tracer_provider = make_tracer_provider(settings)
        async with make_http_client(settings, transport) as http:
            llm = OpenAIEngineClient(http, settings.engine_retries, metrics)
            catalog = ModelCatalog(llm)
            app.state.catalog = catalog
            app.state.readiness = Readiness(catalog, len(index), embedder_warm=True)
            app.state.pipeline = Pipeline(
                settings=settings, metrics=metrics, embedder=emb, index=index,
                input_rails=await to_thread.run_sync(build_input_rails, emb),
                output_rail=EmbeddingGroundingRail(emb, settings.grounding_threshold),
                llm=llm,
                tracer=get_tracer(tracer_provider),
            )
            logger.info("gateway ready: engine %s, index %s (%d chunks)",
                        settings.engine_url, settings.index_dir, len(index))
            yield
            app.state.readiness.draining = True
        if tracer_provider is not None:
            tracer_provider.shutdown()

    app = FastAPI(title="ragguard", version="0.1.0", lifespan=lifespan,
                  description="RAG + guardrails gateway with an OpenAI-compatible API.")
    app.state.settings = settings
    app.state.registry = registry
    app.state.metrics = metrics
    install_error_handlers(app)
    for router in (chat.router, models.router, health.router):
        app.include_router(router)
    app.add_middleware(RequestMetricsMiddleware, metrics=metrics)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    return app
