"""Stage timings: each stage's seconds go to the request's Trace (Server-Timing, `ragguard.timings`), to
`ragguard_stage_seconds` and to an OpenTelemetry span under the request's root span."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from opentelemetry import trace as otel

from service.metrics import Metrics
from service.trace import Trace

T = TypeVar("T")


@dataclass
class Clock:
    metrics: Metrics
    tracer: otel.Tracer = field(default_factory=otel.NoOpTracer)

    def start(self, model: str, judged: bool) -> Trace:
        """A request's trace, with its root span open."""
        span = self.tracer.start_span("chat.completions", attributes={"ragguard.model": model})
        return Trace(span=span, judged=judged)

    def finish(self, trace: Trace, error: BaseException | None = None) -> None:
        """End the request's root span (once the answer is sent or failed)."""
        if error is not None:
            trace.span.record_exception(error)
            trace.span.set_status(otel.StatusCode.ERROR, type(error).__name__)
        trace.span.end()

    async def timed(self, trace: Trace, stage: str, fn: Callable[[], Awaitable[T]]) -> T:
        started = time.perf_counter()
        with self.tracer.start_as_current_span(stage, context=otel.set_span_in_context(trace.span)):
            try:
                return await fn()
            finally:
                self.observe(trace, stage, time.perf_counter() - started)

    def span(self, trace: Trace, stage: str) -> otel.Span:
        return self.tracer.start_span(stage, context=otel.set_span_in_context(trace.span))

    def observe(self, trace: Trace, stage: str, elapsed: float) -> None:
        trace.timings[stage] = trace.timings.get(stage, 0.0) + elapsed
        self.metrics.stage_seconds.labels(stage).observe(elapsed)
