"""POST /v1/chat/completions: OpenAI-compatible, JSON or SSE."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from contextlib import AsyncExitStack, aclosing, contextmanager

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from opentelemetry.trace import StatusCode
from sse_starlette import EventSourceResponse
from starlette.types import Receive, Scope, Send

from service.deps import GatewayDep, TenantDep, ViewDep
from service.errors import GatewayError
from service.metrics import Metrics
from service.schemas import ChatCompletionChunk, ChatCompletionRequest
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


async def _sse(chunks: AsyncGenerator[ChatCompletionChunk, None], trace: Trace) -> AsyncIterator[dict[str, str]]:
    """OpenAI SSE framing; an error after the first byte is sent as an error event, then [DONE]."""
    try:
        async with aclosing(chunks):  # a client gone mid-send closes the engine request now, not at GC
            async for chunk in chunks:
                yield {"data": json.dumps(chunk.wire())}
    except GatewayError as exc:
        trace.span.set_status(StatusCode.ERROR, type(exc).__name__)
        yield {"data": json.dumps(exc.body())}
    yield {"data": "[DONE]"}


@router.post("/v1/chat/completions", response_model=None,
             responses={400: {"description": "Invalid request, or blocked by an input rail "
                                              "(error.type = guardrail_violation, ragguard.rail names it)"}})
async def chat_completions(request: ChatCompletionRequest, gateway: GatewayDep,
                           tenant: TenantDep, view: ViewDep) -> JSONResponse | EventSourceResponse:
    tenant.require_model(request.model)  # the key's own models
    # the policy file: a model alias becomes its engine model and collection; what the tenant may not use, 403
    request.model, request.ragguard.collection = view.resolve(request.model, request.ragguard.collection)
    gateway.collections.get(request.ragguard.collection)  # an unknown collection: 404 before any work
    await gateway.catalog.require(request.model, unless_engine_down=True)  # an unknown model costs no rail work
    async with AsyncExitStack() as scope:
        scope.enter_context(_in_flight(gateway.metrics))
        await scope.enter_async_context(gateway.admission.slot())
        reply = await view.road.run(request)  # the tenant's road, whole; raises Blocked and the like before the engine
        scope.push(lambda _t, exc, _tb: gateway.road.clock.finish(reply.trace, exc))
        if reply.chunks is not None:
            return _HeldSSE(_sse(reply.chunks, reply.trace), scope.pop_all())
        assert reply.body is not None
        return JSONResponse(reply.body.model_dump(), headers={"Server-Timing": reply.trace.server_timing()})
