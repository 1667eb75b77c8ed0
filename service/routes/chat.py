"""POST /v1/chat/completions: OpenAI-compatible, JSON or SSE."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, aclosing, contextmanager
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from opentelemetry.trace import StatusCode
from sse_starlette import EventSourceResponse
from starlette.types import Receive, Scope, Send

from service.deps import AdmissionDep, CatalogDep, PipelineDep, TenantDep
from service.errors import GatewayError
from service.metrics import Metrics
from service.pipeline import Pipeline
from service.schemas import ChatCompletionRequest
from service.trace import Trace

router = APIRouter()


@contextmanager
def _in_flight(metrics: Metrics) -> Iterator[None]:
    metrics.in_flight.inc()
    try:
        yield
    finally:
        metrics.in_flight.dec()


class _HeldSSE(EventSourceResponse):
    """SSE response that releases the request's resources (slot, in-flight count, span) when it ends,
    however it ends: finished, failed, or the client went away before the first byte."""

    def __init__(self, content: AsyncIterator[dict[str, str]], resources: AsyncExitStack) -> None:
        super().__init__(content, sep="\n", ping=15, headers={"X-Accel-Buffering": "no"})
        self._resources = resources

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._resources.aclose()


async def _sse(pipeline: Pipeline, chunks: AsyncIterator[dict[str, Any]], first: dict[str, Any],
               trace: Trace) -> AsyncIterator[dict[str, str]]:
    """OpenAI SSE framing; an error after the first byte is sent as an error event, then [DONE]."""
    sent_content = False
    try:
        yield {"data": json.dumps(first)}
        async with aclosing(chunks):  # a client gone mid-send closes the engine request now, not at GC
            async for chunk in chunks:
                if not sent_content and chunk["choices"][0]["delta"].get("content"):
                    sent_content = True
                    pipeline.metrics.ttft_seconds.observe(time.perf_counter() - trace.started)
                yield {"data": json.dumps(chunk)}
    except GatewayError as exc:
        trace.span.set_status(StatusCode.ERROR, type(exc).__name__)
        yield {"data": json.dumps(exc.body())}
    yield {"data": "[DONE]"}


@router.post("/v1/chat/completions", response_model=None,
             responses={400: {"description": "Invalid request, or blocked by an input rail "
                                              "(error.type = guardrail_violation, ragguard.rail names it)"}})
async def chat_completions(request: ChatCompletionRequest, pipeline: PipelineDep, catalog: CatalogDep,
                           tenant: TenantDep, admission: AdmissionDep) -> JSONResponse | EventSourceResponse:
    tenant.require_model(request.model)
    await catalog.require(request.model, unless_engine_down=True)  # an unknown model costs no rail work
    async with AsyncExitStack() as scope:
        scope.enter_context(_in_flight(pipeline.metrics))
        await scope.enter_async_context(admission.slot())
        trace = await pipeline.prepare(request)  # input rails + retrieval; raises Blocked
        scope.push(lambda _t, exc, _tb: pipeline.finish(trace, exc))
        await catalog.require(request.model)
        if request.stream:
            chunks = pipeline.stream(request, trace)
            first = await anext(chunks)  # engine connection errors surface here, as a real status
            return _HeldSSE(_sse(pipeline, chunks, first, trace), scope.pop_all())
        body = await pipeline.complete(request, trace)
        pipeline.metrics.ttft_seconds.observe(time.perf_counter() - trace.started)
        return JSONResponse(body, headers={"Server-Timing": trace.server_timing()})
