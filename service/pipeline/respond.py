"""The decision and the reply: the checked answer under the request's grounding policy, as one OpenAI body or a
stream of OpenAI chunks.

A stream never releases an unchecked sentence: annotate/strip release sentence by sentence (a sentence strip
removes is announced by a chunk with no content and `ragguard.sentence.kept == false`); refuse holds the answer
until it is checked whole; annotate with stream_release "token" passes text on as it comes and sends each
sentence's verdict in a chunk with no content once it is checked.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from typing import Any

from guardrails.policy import decide
from service.answer import Answer
from service.metrics import Metrics
from service.pipeline.generation import Step
from service.schemas import (
    AssistantMessage,
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    Choice,
    ChunkChoice,
    Delta,
    Usage,
)
from service.settings import Settings
from service.trace import Trace, report, sentence_view


@dataclass
class Reply:
    """What the road gives the route: the request's trace and either a whole body or a stream of chunks."""

    trace: Trace
    body: ChatCompletion | None = None
    chunks: AsyncGenerator[ChatCompletionChunk, None] | None = None


def policies(request: ChatCompletionRequest, settings: Settings) -> tuple[str, str]:
    """(grounding policy, stream release) for the request, never looser than the operator's floors (else 400)."""
    policy = request.ragguard.policy_for(settings.grounding_policy, settings.grounding_policy_floor)
    return policy, request.ragguard.release_for(policy, settings.stream_release, settings.stream_release_floor)


@dataclass
class Respond:
    settings: Settings
    metrics: Metrics

    async def whole(self, steps: AsyncGenerator[Step, None], answer: Answer, request: ChatCompletionRequest,
                    trace: Trace, policy: str) -> ChatCompletion:
        async for _ in steps:
            pass  # every sentence is checked into `answer`
        usage = self.metrics.count_usage(answer.usage)
        decision = decide(answer.checked, policy, self.settings.refuse_min_supported)
        self.metrics.count_sentences(answer.checked, decision)
        content, finish = answer.content(decision, self.settings.refusal_message)
        body = ChatCompletion(
            id=trace.id, created=trace.created, model=request.model, usage=Usage(**usage),
            choices=[Choice(message=AssistantMessage(content=content), finish_reason=finish)],
            citations=trace.citations(),
            ragguard=report(trace, policy, answer.checked, decision, self.settings.expose_removed_text))
        self.metrics.ttft_seconds.observe(time.perf_counter() - trace.started)
        return body

    async def stream(self, steps: AsyncGenerator[Step, None], answer: Answer, request: ChatCompletionRequest,
                     trace: Trace, policy: str, release: str) -> AsyncGenerator[ChatCompletionChunk, None]:
        show, tokens, first_content = self.settings.expose_removed_text, release == "token", True

        def chunk(delta: Delta, finish_reason: str | None = None, usage: Usage | None = None,
                  **ext: Any) -> ChatCompletionChunk:
            nonlocal first_content
            if first_content and delta.content:
                first_content = False
                self.metrics.ttft_seconds.observe(time.perf_counter() - trace.started)
            return ChatCompletionChunk(id=trace.id, created=trace.created, model=request.model, usage=usage,
                                       choices=[ChunkChoice(delta=delta, finish_reason=finish_reason)],
                                       ragguard=ext or None)

        try:
            first = await anext(steps, None)  # the engine's first part before anything is sent: its errors get a status
            yield chunk(Delta(role="assistant", content=""))
            async for step in _then(first, steps):
                if tokens and step.delta:
                    yield chunk(Delta(content=step.delta))
                for s in [] if policy == "refuse" else step.checked:  # refuse: held until the answer is checked whole
                    if tokens:
                        yield chunk(Delta(), sentence=sentence_view(s))
                    elif policy == "annotate" or s.supported:
                        yield chunk(Delta(content=s.text + " "), sentence=sentence_view(s))
                    else:
                        yield chunk(Delta(), sentence=sentence_view(s, False, show))
            checked, finish = answer.checked, answer.finish
            decision = decide(checked, policy, self.settings.refuse_min_supported)
            self.metrics.count_sentences(checked, decision)
            if decision.refused:
                finish = "content_filter"
                yield chunk(Delta(content=self.settings.refusal_message))
            elif policy == "refuse":
                yield chunk(Delta(content=" ".join(s.text for s in checked.sentences)))
            usage = Usage(**self.metrics.count_usage(answer.usage))
            include_usage = request.stream_options is not None and request.stream_options.include_usage
            final = report(trace, policy, checked, decision, show)
            yield chunk(Delta(), finish, usage if include_usage else None, **final,
                        citations=[c.model_dump() for c in trace.citations()])
        finally:
            await steps.aclose()  # a client gone mid-stream closes the engine request now

async def _then(first: Step | None, rest: AsyncIterator[Step]) -> AsyncIterator[Step]:
    if first is not None:
        yield first
        async for step in rest:
            yield step
