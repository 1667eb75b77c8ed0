"""The one orchestrator of the road: input rails -> retrieval -> generation -> output rails.

Stages never call each other; the pipeline calls them in order and passes plain data between them.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio
import numpy as np
from opentelemetry import trace as otel

from guardrails.chain import Ran, run_chain
from guardrails.classifier import token_offsets
from guardrails.documents import DocumentRail
from guardrails.judge import LLMJudge
from guardrails.pii import PIIRail
from guardrails.policy import decide
from guardrails.verdict import GroundingResult, InputRail, Outcome, OutputRail, Verdict
from guardrails.windows import PromptTooLong, require_fits
from index.embedder import Embedder
from index.hybrid import Mode as RetrievalMode
from index.store import Hit, VectorIndex
from service.answer import Answer
from service.catalog import ModelCatalog
from service.errors import Blocked, InvalidRequest, Overloaded, PayloadTooLarge, RailFailed, first_error
from service.llm import LLMClient
from service.metrics import Metrics
from service.prompt import RECITED, engine_payload, recites_instructions
from service.schemas import ChatCompletionRequest, ChatMessage, rails_text
from service.settings import Settings
from service.trace import Trace, report, sentence_view
from service.work import Budget, CpuSlots

T = TypeVar("T")


def _too_long(exc: PromptTooLong) -> PayloadTooLarge:
    """More text than the rails check, as the client sees it: 413 prompt_too_long."""
    return PayloadTooLarge(str(exc), param="messages", code="prompt_too_long")


@dataclass
class Pipeline:
    settings: Settings
    metrics: Metrics
    embedder: Embedder
    index: VectorIndex
    input_rails: list[InputRail]
    output_rail: OutputRail
    llm: LLMClient
    tracer: otel.Tracer = field(default_factory=otel.NoOpTracer)
    pii_rail: PIIRail | None = None  # masks or blocks personal data in user messages
    document_rail: DocumentRail | None = None  # indirect injection: scans retrieved chunks
    rails_off: list[str] = field(default_factory=list)  # rails turned off by config, counted as bypasses
    catalog: ModelCatalog | None = None  # maps a LoRA adapter's model name to what the engine needs
    judge: LLMJudge | None = None  # optional second opinion from the engine, for configured routes
    slots: CpuSlots = field(default_factory=lambda: CpuSlots(2, 10.0))  # CPU work at once (RAGGUARD_CPU_WORKERS)

    # ---- stage helpers -------------------------------------------------------------------------
    async def _timed(self, trace: Trace, stage: str, fn: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        with self.tracer.start_as_current_span(stage, context=otel.set_span_in_context(trace.span)):
            try:
                return await fn()
            finally:
                self._observe(trace, stage, time.perf_counter() - started)

    def _observe(self, trace: Trace, stage: str, elapsed: float) -> None:
        trace.timings[stage] = trace.timings.get(stage, 0.0) + elapsed
        self.metrics.stage_seconds.labels(stage).observe(elapsed)

    async def _off_loop(self, fn: Callable[..., T], *args: Any) -> T:
        return await self.slots.run(fn, *args)

    def _failed(self, name: str, exc: BaseException) -> Verdict:
        """A rail that raised or timed out: the request is refused, or (policy open) an ERROR verdict + a bypass."""
        if self.settings.input_rail_policy == "open":
            self.metrics.rail_bypasses.labels(name, "error").inc()
            return Verdict(name, Outcome.ERROR, 0.0, f"rail failed open: {type(exc).__name__}")
        self.metrics.rail_verdicts.labels(name, Outcome.ERROR.value).inc()
        raise RailFailed(f"input rail {name!r} failed; request refused (fail closed)", extra={"rail": name}) from exc

    async def _input_rails(self, text: str, vector: np.ndarray, stop_on_block: bool, budget: Budget) -> list[Verdict]:
        """The input rails in order, in ONE worker call (guardrails/chain.py) within the request's rail budget; on
        a timeout the rail then running, and any after it, count as failed."""
        ran: Ran = []
        try:
            await self.slots.run(run_chain, self.input_rails, text, vector, self.settings.rail_modes, stop_on_block,
                                 self.settings.input_rail_policy == "open", ran, budget=budget)
        except TimeoutError as exc:
            ran = ran[:]  # the abandoned thread may still append
            ran += [(rail.name, exc) for rail in self.input_rails[len(ran):]]
        except PromptTooLong as exc:
            raise _too_long(exc) from None
        verdicts = []
        for name, result in ran:  # in order: the rails before a failure are counted before it refuses
            verdicts.append(v := self._failed(name, result) if isinstance(result, Exception) else result)
            self.metrics.rail_verdicts.labels(v.rail, v.outcome.value).inc()
            self.metrics.rail_seconds.labels(v.rail).observe(v.seconds)
        return verdicts

    async def _pii(self, messages: list[ChatMessage], mask: bool, budget: Budget) -> Verdict | None:
        """The PII rail over every forwarded message, whatever its role, in one worker call within the request's
        rail budget; with `mask`, masked text replaces the original."""
        if self.pii_rail is None:
            return None
        rail = self.pii_rail
        texts = [m.text() for m in messages]
        try:
            results = await self.slots.run(lambda: [rail.mask(t) if t.strip() else None for t in texts], budget=budget)
        except Overloaded:
            raise  # no CPU worker free: the client retries; not a failure of the rail
        except Exception as exc:  # noqa: BLE001 - any rail failure (or timeout) is handled by policy
            return self._failed(rail.name, exc)
        worst = None
        for m, text, result in zip(messages, texts, results, strict=True):
            if result is None:
                continue
            masked, verdict = result
            if mask and masked != text:
                m.content = masked
            if worst is None or verdict.outcome.rank > worst.outcome.rank:
                worst = verdict
        if worst is not None:
            self.metrics.rail_verdicts.labels(rail.name, worst.outcome.value).inc()
            self.metrics.rail_seconds.labels(rail.name).observe(worst.seconds)
        return worst

    def _screen(self, messages: list[ChatMessage]) -> list[ChatMessage]:
        """The messages the engine will get: client system/developer turns kept, dropped or refused (setting)."""
        limit, policy = self.settings.max_message_chars, self.settings.client_system_messages
        if any(len(m.text()) > limit for m in messages):
            raise InvalidRequest(f"a message exceeds {limit} characters", param="messages")
        if policy == "allow" or not any(m.role in ("system", "developer") for m in messages):
            return messages
        if policy == "refuse":
            raise InvalidRequest("system and developer messages are not accepted from clients on this gateway "
                                 "(RAGGUARD_CLIENT_SYSTEM_MESSAGES=refuse)", param="messages")
        return [m for m in messages if m.role not in ("system", "developer")]

    async def _admit(self, messages: list[ChatMessage]) -> tuple[list[ChatMessage], str, Budget]:
        """(the messages the engine will get, the text the rails read, the request's one rail budget). A text
        longer than the rails check is a 413 before any rail (PII included) starts on it; a text of at most
        `limit` characters has at most `limit` tokens, so most need no count."""
        messages = self._screen(messages)
        text, limit = rails_text(messages), self.settings.max_prompt_tokens
        if len(text) > limit:
            try:
                require_fits(len(await self.slots.run(token_offsets(self.embedder.name), text)), limit)
            except PromptTooLong as exc:
                raise _too_long(exc) from None
        return messages, text, Budget(self.settings.rail_timeout_s)  # PII and every other rail draw on it

    async def _verdicts(self, text: str, trace: Trace, stop_on_block: bool, budget: Budget) -> list[Verdict]:
        """Embed the prompt once, then run the rails in order; the vector is kept for retrieval."""
        for name in self.rails_off:
            self.metrics.rail_bypasses.labels(name, "off").inc()
        try:
            vector = (await self.slots.run(self.embedder.embed, [text], budget=budget))[0]
        except TimeoutError as exc:
            raise RailFailed("the prompt's embedding ran past the rail timeout; request refused",
                             extra={"rail": "embedding"}) from exc
        trace.prompt_text, trace.prompt_vector = text, vector  # shared with retrieval
        if trace.embedded is not None:
            trace.embedded.set()  # retrieval may start beside the rails
        verdicts = await self._input_rails(text, vector, stop_on_block, budget)
        trace.verdicts += verdicts
        return verdicts

    async def check_input(self, request: ChatCompletionRequest, trace: Trace) -> None:
        request.messages, text, budget = await self._admit(request.messages)

        async def run() -> None:  # PII (spaCy) runs beside the prompt's embedding and rails: two cores
            pii: list[Verdict | None] = []
            mine: list[Verdict] = []  # this stage's verdicts (retrieval, beside it, adds its dropped chunks' own)

            async def mask() -> None:
                pii.append(await self._pii(request.messages, mask=True, budget=budget))

            with first_error():
                async with anyio.create_task_group() as tg:
                    tg.start_soon(mask)
                    mine += await self._verdicts(text, trace, True, budget)
                    if any(v.blocked for v in mine):
                        tg.cancel_scope.cancel()  # PII's answer is no longer wanted
            found = [v for v in pii if v is not None]
            trace.verdicts += found
            if blocked := next((v for v in [*mine, *found] if v.blocked), None):
                raise Blocked.by(blocked)

        await self._timed(trace, "input_rails", run)

    async def check_messages(self, messages: list[ChatMessage]) -> list[Verdict]:
        """Every input rail's verdict, nothing enforced (POST /v1/guardrails/check); a failing rail raises
        RailFailed under the fail-closed policy, as on the chat road."""
        messages, text, budget = await self._admit(messages)
        verdicts = await self._verdicts(text, Trace(), False, budget)
        pii = await self._pii(messages, mask=False, budget=budget)
        return verdicts + ([pii] if pii is not None else [])

    def _search(self, query: str, vector: np.ndarray | None, top_k: int, mode: RetrievalMode) -> tuple[list, list]:
        """(worker thread) Search, then scan the chunks for instructions aimed at the model: one thread hop."""
        hits = self.index.retrieve(query, vector, top_k, mode)
        return hits, self.document_rail.scan(hits) if self.document_rail is not None and hits else []

    def _keep(self, hits: list[Hit], verdicts: list[Verdict], trace: Trace) -> list[Hit]:
        """Indirect injection: drop (or flag) the chunks the document rail found instructions in."""
        if self.document_rail is None:
            return hits
        name, mode, kept = self.document_rail.name, self.settings.document_rail_mode, []
        for hit, verdict in zip(hits, verdicts, strict=True):
            outcome = verdict.outcome if not verdict.blocked or mode == "block" else Outcome.FLAG
            self.metrics.rail_verdicts.labels(name, outcome.value).inc()
            if verdict.blocked:
                trace.verdicts.append(Verdict(name, outcome, verdict.score,
                                              f"chunk {hit.chunk.id} ({hit.chunk.source}): {verdict.reason}",
                                              verdict.seconds))
            if outcome is not Outcome.BLOCK:
                kept.append(hit)
        return kept

    async def search(self, query: str, top_k: int, mode: RetrievalMode | None = None) -> list[Hit]:
        """Retrieval alone (POST /v1/retrieve): embed (unless BM25 only), search, scan the chunks."""
        mode = mode or self.settings.retrieval_mode
        vector = None if mode == "bm25" else (await self._off_loop(self.embedder.embed, [query]))[0]
        return self._keep(*await self._off_loop(self._search, query, vector, top_k, mode), Trace())

    async def retrieve(self, request: ChatCompletionRequest, trace: Trace) -> None:
        if not request.ragguard.retrieval:
            return
        top_k = request.ragguard.top_k or self.settings.top_k
        question = trace.searched = request.question()
        if trace.embedded is not None and question == rails_text(request.messages):
            await trace.embedded.wait()  # the prompt's own vector, from the input rails (else: embed the question)

        async def run() -> list[Hit]:
            vector = trace.prompt_vector if trace.prompt_vector is not None and question == trace.prompt_text \
                else (await self._off_loop(self.embedder.embed, [question]))[0]
            hits, verdicts = await self._off_loop(self._search, question, vector, top_k, self.settings.retrieval_mode)
            return self._keep(hits, verdicts, trace)

        trace.hits = await self._timed(trace, "retrieval", run)
        self.metrics.retrieved_chunks.observe(len(trace.hits))

    def engine_payload(self, request: ChatCompletionRequest, trace: Trace) -> dict[str, Any]:
        fields = self.catalog.engine_fields(request.model) if self.catalog is not None else {}
        return engine_payload(request, trace.hits, self.settings, fields)

    async def check_output(self, sentences: list[str], trace: Trace) -> GroundingResult:
        async def run() -> GroundingResult:
            try:
                result = await self._off_loop(self.output_rail.check, sentences, trace.hits)
                return await self.judge.review(result, trace.hits) if self.judge and trace.judged else result
            except Exception as exc:  # noqa: BLE001
                self.metrics.rail_verdicts.labels(self.output_rail.name, Outcome.ERROR.value).inc()
                if self.settings.output_rail_policy == "open":
                    self.metrics.rail_bypasses.labels(self.output_rail.name, "error").inc()
                    return GroundingResult([])
                raise RailFailed(f"output rail {self.output_rail.name!r} failed; answer withheld "
                                 "(fail closed)", extra={"rail": self.output_rail.name}) from exc

        result = await self._timed(trace, "output_rails", run)
        result.sentences = [dataclasses.replace(s, supported=False, verdict="", reason=RECITED)
                            if recites_instructions(s.text) else s for s in result.sentences]
        for s in result.sentences:
            self.metrics.rail_verdicts.labels(self.output_rail.name, s.verdict).inc()  # supported/unsupported/refusal
        return result

    def policy(self, request: ChatCompletionRequest) -> str:
        """The request's grounding policy, never looser than the operator's floor (else 400)."""
        return request.ragguard.policy_for(self.settings.grounding_policy, self.settings.grounding_policy_floor)

    def stream_release(self, request: ChatCompletionRequest) -> str:
        return request.ragguard.release_for(self.policy(request), self.settings.stream_release,
                                            self.settings.stream_release_floor)

    # ---- the road ------------------------------------------------------------------------------
    async def prepare(self, request: ChatCompletionRequest) -> Trace:
        """Input rails, and retrieval beside them once the prompt is embedded. Raises Blocked before any engine call."""
        self.stream_release(request)  # a bad combination is refused before any work
        trace = Trace(span=self.tracer.start_span("chat.completions", attributes={"ragguard.model": request.model}),
                      judged=bool(self.judge and self.judge.wanted(request.model)), embedded=anyio.Event())
        try:
            with first_error():  # retrieval runs beside the input rails and is dropped if they block
                async with anyio.create_task_group() as tg:
                    tg.start_soon(self.retrieve, request, trace)
                    await self.check_input(request, trace)
            if request.ragguard.retrieval and trace.searched != request.question():
                await self.retrieve(request, trace)  # PII masked the question: search with what the engine sees
        except Exception as exc:
            self.finish(trace, exc)
            raise
        return trace

    def finish(self, trace: Trace, error: Exception | None = None) -> None:
        """End the request's root span (once the answer is sent or failed)."""
        if error is not None:
            trace.span.record_exception(error)
            trace.span.set_status(otel.StatusCode.ERROR, type(error).__name__)
        trace.span.end()

    async def _check_more(self, answer: Answer, sentences: list[str], trace: Trace) -> GroundingResult:
        """Check newly finished sentences and add their verdicts to the answer's."""
        result = await self.check_output(sentences, trace) if sentences else GroundingResult([])
        answer.checked.sentences.extend(result.sentences)
        return result

    async def _generate_checked(self, payload: dict[str, Any], trace: Trace) -> Answer:
        """A non-streaming answer read as a stream: a reader takes the parts (and times generation to the last
        one) while each finished sentence is checked as the engine writes on."""
        answer, started = Answer(), time.perf_counter()
        send, receive = anyio.create_memory_object_stream[dict[str, Any]](math.inf)

        async def read() -> None:
            with self.tracer.start_as_current_span("generation", context=otel.set_span_in_context(trace.span)):
                async with send, aclosing(self.llm.stream(payload)) as parts:
                    async for part in parts:
                        send.send_nowait(part)
            self._observe(trace, "generation", time.perf_counter() - started)

        with first_error():
            async with anyio.create_task_group() as tg, receive:
                tg.start_soon(read)
                async for part in receive:
                    done = answer.feed(part)[1]
                    while True:  # whatever else has arrived meanwhile is checked in the same call
                        try:
                            done += answer.feed(receive.receive_nowait())[1]
                        except (anyio.WouldBlock, anyio.EndOfStream):
                            break
                    await self._check_more(answer, done, trace)
        await self._check_more(answer, answer.flush(), trace)
        return answer

    async def complete(self, request: ChatCompletionRequest, trace: Trace) -> dict[str, Any]:
        """Generation and the output check for a non-streaming request: an OpenAI response body."""
        payload = self.engine_payload(request, trace)
        if self.settings.check_during_generation:
            answer = await self._generate_checked(payload, trace)
        else:  # one engine call, then the whole answer is checked
            body = await self._timed(trace, "generation", lambda: self.llm.complete(payload))
            answer, sentences = Answer.whole(body)
            await self._check_more(answer, sentences, trace)
        usage = self.metrics.count_usage(answer.usage)
        decision = decide(answer.checked, self.policy(request), self.settings.refuse_min_supported)
        self.metrics.count_sentences(answer.checked, decision)
        content, finish = answer.content(decision, self.settings.refusal_message)
        return {
            "id": trace.id, "object": "chat.completion", "created": trace.created, "model": request.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}],
            "usage": usage, "citations": [c.model_dump() for c in trace.citations()],
            "ragguard": report(trace, self.policy(request), answer.checked, decision,
                               self.settings.expose_removed_text),
        }

    async def stream(self, request: ChatCompletionRequest, trace: Trace) -> AsyncIterator[dict[str, Any]]:
        """Streaming: each sentence is checked before it is released, so nothing unchecked leaks.

        annotate/strip release sentence by sentence; a sentence strip removes is announced by a chunk with
        no content and `ragguard.sentence.kept == false`. refuse holds the answer until it is checked whole.
        annotate with stream_release "token" passes text on as it comes and sends each sentence's verdict in
        a chunk with no content once it is checked.
        """
        policy = self.policy(request)
        tokens = self.stream_release(request) == "token"
        payload = self.engine_payload(request, trace)
        answer = Answer()
        gen_started = time.perf_counter()
        gen_span = self.tracer.start_span("generation", context=otel.set_span_in_context(trace.span))

        def chunk(delta: dict[str, Any], finish_reason: str | None = None, **ext: Any) -> dict[str, Any]:
            out: dict[str, Any] = {"id": trace.id, "object": "chat.completion.chunk", "created": trace.created,
                                   "model": request.model,
                                   "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]}
            if ext:
                out["ragguard"] = ext
            return out

        async def release(sentences: list[str]) -> AsyncIterator[dict[str, Any]]:
            result = await self._check_more(answer, sentences, trace)
            if policy == "refuse":
                return  # held until the whole answer is checked
            for s in result.sentences:
                if tokens:
                    yield chunk({}, sentence=sentence_view(s))
                elif policy == "annotate" or s.supported:
                    yield chunk({"content": s.text + " "}, sentence=sentence_view(s))
                else:
                    yield chunk({}, sentence=sentence_view(s, False, self.settings.expose_removed_text))

        parts = self.llm.stream(payload)
        # Pull the first part before anything is sent, so engine failures get a real HTTP status.
        first = await anext(parts, None)

        async def engine_parts() -> AsyncIterator[dict[str, Any]]:
            if first is not None:
                yield first
                async for part in parts:
                    yield part

        try:
            yield chunk({"role": "assistant", "content": ""})
            async for part in engine_parts():
                delta, done = answer.feed(part)
                if tokens and delta:
                    yield chunk({"content": delta})
                async for out in release(done):
                    yield out
            async for out in release(answer.flush()):
                yield out
        finally:
            await parts.aclose()  # however the stream ends (done, error, client gone): close the engine request
            gen_span.end()
            self._observe(trace, "generation",
                          time.perf_counter() - gen_started - trace.timings.get("output_rails", 0.0))

        checked, finish = answer.checked, answer.finish
        decision = decide(checked, policy, self.settings.refuse_min_supported)
        self.metrics.count_sentences(checked, decision)
        if decision.refused:
            finish = "content_filter"
            yield chunk({"content": self.settings.refusal_message})
        elif policy == "refuse":
            yield chunk({"content": " ".join(s.text for s in checked.sentences)})
        counted = self.metrics.count_usage(answer.usage)
        final = chunk({}, finish, **report(trace, policy, checked, decision, self.settings.expose_removed_text),
                      citations=[c.model_dump() for c in trace.citations()])
        if request.stream_options and request.stream_options.include_usage:
            final["usage"] = counted
        yield final

