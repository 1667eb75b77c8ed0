"""POST /v1/chat/completions: OpenAI-compatible, JSON or SSE."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sse_starlette import EventSourceResponse

from service.deps import CatalogDep, PipelineDep
from service.errors import GatewayError
from service.pipeline import Pipeline, Trace
from service.schemas import ChatCompletionRequest

router = APIRouter()


async def _sse(pipeline: Pipeline, chunks: AsyncIterator[dict[str, Any]], first: dict[str, Any],
               trace: Trace) -> AsyncIterator[dict[str, str]]:
    """OpenAI SSE framing; an error after the first byte is sent as an error event, then [DONE]."""
    sent_content, error = False, None
    try:
        yield {"data": json.dumps(first)}
        async for chunk in chunks:
            if not sent_content and chunk["choices"][0]["delta"].get("content"):
                sent_content = True
                pipeline.metrics.ttft_seconds.observe(time.perf_counter() - trace.started)
            yield {"data": json.dumps(chunk)}
    except GatewayError as exc:
        error = exc
        yield {"data": json.dumps(exc.body())}
    finally:
        pipeline.metrics.in_flight.dec()
        pipeline.finish(trace, error)
    yield {"data": "[DONE]"}


@router.post("/v1/chat/completions", response_model=None,
             responses={400: {"description": "Invalid request, or blocked by an input rail "
                                              "(error.type = guardrail_violation, ragguard.rail names it)"}})
async def chat_completions(request: ChatCompletionRequest, pipeline: PipelineDep,
                           catalog: CatalogDep) -> JSONResponse | EventSourceResponse:
    pipeline.metrics.in_flight.inc()
    streaming = False
    try:
        trace = await pipeline.prepare(request)  # input rails + retrieval; raises Blocked
        try:
            await catalog.require(request.model)
            if request.stream:
                chunks = pipeline.stream(request, trace)
                first = await anext(chunks)  # engine connection errors surface here, as a real status
                streaming = True  # from here on the SSE generator owns the in-flight count and the span
                return EventSourceResponse(_sse(pipeline, chunks, first, trace), sep="\n", ping=15,
                                           headers={"X-Accel-Buffering": "no"})
            body = await pipeline.complete(request, trace)
        except Exception as exc:
            pipeline.finish(trace, exc)
            raise
        pipeline.finish(trace)
        pipeline.metrics.ttft_seconds.observe(time.perf_counter() - trace.started)
        return JSONResponse(body, headers={"Server-Timing": trace.server_timing()})
    finally:
        if not streaming:
            pipeline.metrics.in_flight.dec()
