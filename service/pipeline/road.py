"""The request's road, read top to bottom in `Road.run`; each stage is a module of its own beside this one."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio

from service.answer import Answer
from service.catalog import ModelCatalog
from service.errors import first_error
from service.pipeline.clock import Clock
from service.pipeline.generation import Generation
from service.pipeline.inputs import InputCheck
from service.pipeline.output import OutputCheck
from service.pipeline.respond import Reply, Respond, policies
from service.pipeline.retrieval import Retrieval
from service.prompt import engine_payload
from service.schemas import ChatCompletionChunk, ChatCompletionRequest
from service.settings import Settings

A = TypeVar("A")
B = TypeVar("B")


@dataclass
class Road:
    settings: Settings
    clock: Clock
    inputs: InputCheck
    retrieval: Retrieval
    generation: Generation
    output: OutputCheck
    respond: Respond
    catalog: ModelCatalog | None = None

    async def run(self, request: ChatCompletionRequest) -> Reply:
        """check input -> retrieve (documents scanned) -> generate -> check output -> decide.

        Everything that can refuse the request (a bad policy, a too long prompt, a rail's block or failure, an
        unknown model) raises before the engine is called. A stream's first chunk is made before the reply is
        returned, so an engine that fails at once gets a real HTTP status."""
        policy, release = policies(request, self.settings)  # a policy looser than the operator's floor: 400
        prompt = await self.inputs.admit(request.messages)  # screened, sized (413), the rail budget opened
        trace = self.clock.start(request.model, judged=self.output.judged(request.model))
        try:
            verdicts, hits = await _both(  # retrieval runs beside the input rails and is dropped if they block
                self.clock.timed(trace, "input_rails", lambda: self.inputs.check(prompt)),
                self.retrieval.for_prompt(prompt, request.ragguard, self.clock, trace))
            request.messages, trace.hits, trace.verdicts[:0] = prompt.messages, hits, verdicts  # PII-masked
            fields = {}
            if self.catalog is not None:
                await self.catalog.require(request.model)  # the engine is about to be called: it must serve it
                fields = self.catalog.engine_fields(request.model)
            answer = Answer()  # text, usage and every checked sentence, as the engine writes
            steps = self.generation.steps(engine_payload(request, hits, self.settings, fields), hits, answer, trace,
                                          request.stream)
            if not request.stream:
                return Reply(trace, body=await self.respond.whole(steps, answer, request, trace, policy))
            chunks = self.respond.stream(steps, answer, request, trace, policy, release)
            return Reply(trace, chunks=_prefetched(await anext(chunks), chunks))
        except BaseException as exc:
            self.clock.finish(trace, exc)
            raise


async def _both(first: Awaitable[A], second: Awaitable[B]) -> tuple[A, B]:
    """Two stages at once; the first error cancels the other and is raised as itself."""
    results: list[Any] = [None, None]

    async def run(i: int, stage: Awaitable[Any]) -> None:
        results[i] = await stage

    with first_error():
        async with anyio.create_task_group() as tg:
            tg.start_soon(run, 0, first)
            tg.start_soon(run, 1, second)
    return results[0], results[1]


async def _prefetched(first: ChatCompletionChunk,
                      rest: AsyncGenerator[ChatCompletionChunk, None]) -> AsyncGenerator[ChatCompletionChunk, None]:
    try:
        yield first
        async for chunk in rest:
            yield chunk
    finally:
        await rest.aclose()
