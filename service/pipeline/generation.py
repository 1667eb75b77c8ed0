"""The generation stage: the engine's answer as `Step`s, each carrying the text that arrived and the sentences it
finished, already fact-checked. A streamed answer is checked sentence by sentence as the engine writes on; a
non-streaming one is, by default, asked in one engine call and checked whole (RAGGUARD_CHECK_DURING_GENERATION
reads it as a stream instead, so the check overlaps generation)."""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any

from guardrails.verdict import SentenceCheck
from index.base import Hit
from service.answer import Answer
from service.base import LLMClient
from service.pipeline.clock import Clock
from service.pipeline.output import OutputCheck
from service.trace import Trace


@dataclass
class Step:
    delta: str  # the text this engine part carried
    checked: list[SentenceCheck] = field(default_factory=list)  # the sentences it finished, with their verdicts


@dataclass
class Generation:
    llm: LLMClient
    output: OutputCheck
    clock: Clock
    check_during_generation: bool = False

    def steps(self, payload: dict[str, Any], hits: list[Hit], answer: Answer, trace: Trace,
              stream: bool) -> AsyncGenerator[Step, None]:
        """The answer's steps; `answer` collects its text, finish reason, usage and every checked sentence."""
        if stream or self.check_during_generation:
            return self._streamed(payload, hits, answer, trace)
        return self._whole(payload, hits, answer, trace)

    async def _whole(self, payload: dict[str, Any], hits: list[Hit], answer: Answer,
                     trace: Trace) -> AsyncGenerator[Step, None]:
        body = await self.clock.timed(trace, "generation", lambda: self.llm.complete(payload))
        sentences = answer.whole(body)
        yield Step(answer.text, await self._check(sentences, hits, answer, trace))

    async def _streamed(self, payload: dict[str, Any], hits: list[Hit], answer: Answer,
                        trace: Trace) -> AsyncGenerator[Step, None]:
        """Generation's time is from the engine request to its last part (checks made meanwhile overlap it)."""
        started, ended = time.perf_counter(), None
        span, parts = self.clock.span(trace, "generation"), self.llm.stream(payload)
        try:
            async for part in parts:
                delta, done = answer.feed(part)
                yield Step(delta, await self._check(done, hits, answer, trace))
            ended = time.perf_counter()
            if rest := answer.flush():
                yield Step("", await self._check(rest, hits, answer, trace))
        finally:
            await parts.aclose()  # however it ends (done, error, client gone): close the engine request
            span.end()
            self.clock.observe(trace, "generation", (ended or time.perf_counter()) - started)

    async def _check(self, sentences: list[str], hits: list[Hit], answer: Answer,
                     trace: Trace) -> list[SentenceCheck]:
        verdicts = (await self.output.check(sentences, hits, trace)).sentences if sentences else []
        checked = self.output.unlinked(verdicts, hits)
        answer.checked.sentences.extend(checked)
        answer.rewrites += [(v.text, c.text) for c, v in zip(checked, verdicts, strict=True) if c is not v]
        return checked
