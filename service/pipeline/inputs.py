"""The input stage: every message the engine will get, whatever its role, checked before anything else.

`admit` screens the messages (client system turns kept, dropped or refused), refuses a text longer than the rails
check (413) and opens the request's one rail budget. `check` embeds the prompt once and runs the input rails in
one worker call, with the PII rail beside them; then, when configured, the engine's self-check decides a prompt a
learned rail left in its uncertain band (guardrails.self_check), on the PII-masked text. Any block raises
`Blocked`. A rail that fails or times out refuses the request (fail closed) unless RAGGUARD_INPUT_RAIL_POLICY=open,
which counts a bypass instead.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import anyio
import numpy as np

from guardrails.base import InputRail
from guardrails.chain import Ran, in_mode, run_chain, wants_vector
from guardrails.classifier import token_offsets
from guardrails.pii import PIIRail
from guardrails.self_check import SelfCheckInput
from guardrails.verdict import Outcome, Verdict
from guardrails.windows import PromptTooLong, require_fits
from index.base import Embedder
from service.errors import Blocked, InvalidRequest, Overloaded, PayloadTooLarge, RailFailed, first_error
from service.metrics import Metrics
from service.schemas import ChatMessage, question, rails_text
from service.settings import Settings
from service.work import Budget, CpuSlots

logger = logging.getLogger(__name__)


def too_long(exc: PromptTooLong) -> PayloadTooLarge:
    """More text than the rails check, as the client sees it: 413 prompt_too_long."""
    return PayloadTooLarge(str(exc), param="messages", code="prompt_too_long")


@dataclass
class Prompt:
    """One request's input as the rails see it: the messages the engine will get, their joined text, the rail
    budget, and the text's embedding, made once and shared by the rails and retrieval."""

    messages: list[ChatMessage]
    text: str
    budget: Budget
    embedder: Embedder
    slots: CpuSlots
    masked: anyio.Event = field(default_factory=anyio.Event)  # set once PII has masked the messages (or will not)
    _vector: np.ndarray | None = None
    _lock: anyio.Lock = field(default_factory=anyio.Lock)

    async def vector(self) -> np.ndarray:
        """The prompt's embedding, within the rail budget (a timeout refuses the request)."""
        async with self._lock:
            if self._vector is None:
                try:
                    self._vector = (await self.slots.run(self.embedder.embed, [self.text], budget=self.budget))[0]
                except TimeoutError as exc:
                    raise RailFailed("the prompt's embedding ran past the rail timeout; request refused",
                                     extra={"rail": "embedding"}) from exc
            return self._vector

    async def question(self) -> str:
        """The last user question as the engine will see it (after PII masking)."""
        await self.masked.wait()
        return question(self.messages)


@dataclass
class InputCheck:
    settings: Settings
    metrics: Metrics
    embedder: Embedder
    rails: list[InputRail]
    slots: CpuSlots
    pii: PIIRail | None = None
    off: list[str] = field(default_factory=list)  # rails turned off by config, counted as bypasses
    self_check: SelfCheckInput | None = None  # the engine decides the uncertain band (RAGGUARD_SELF_CHECK_INPUT)

    async def admit(self, messages: list[ChatMessage]) -> Prompt:
        """The prompt the rails will check. A text longer than they check is a 413 before any rail starts; a text
        of at most `limit` characters has at most `limit` tokens, so most need no count."""
        messages = self._screen(messages)
        text, limit = rails_text(messages), self.settings.max_prompt_tokens
        if len(text) > limit:
            try:
                require_fits(len(await self.slots.run(token_offsets(self.embedder.name), text)), limit)
            except PromptTooLong as exc:
                raise too_long(exc) from None
        return Prompt(messages, text, Budget(self.settings.rail_timeout_s), self.embedder, self.slots)

    async def check(self, prompt: Prompt) -> list[Verdict]:
        """Every rail's verdict, PII masking the messages beside them; the first block raises Blocked."""
        found: list[Verdict] = []

        async def mask() -> None:
            try:
                if (pii := await self._pii(prompt.messages, mask=True, budget=prompt.budget)) is not None:
                    found.append(pii)
            finally:
                prompt.masked.set()

        with first_error():
            async with anyio.create_task_group() as tg:
                tg.start_soon(mask)
                verdicts = await self.verdicts(prompt, stop_on_block=True)
                if any(v.blocked for v in verdicts):
                    tg.cancel_scope.cancel()  # PII's answer is no longer wanted
        verdicts += found
        verdicts += await self._self_checked(prompt, verdicts)  # after PII: the engine reads the masked text
        if blocked := next((v for v in verdicts if v.blocked), None):
            raise Blocked.by(blocked)
        return verdicts

    async def report(self, messages: list[ChatMessage]) -> list[Verdict]:
        """Every input rail's verdict, nothing enforced (POST /v1/guardrails/check); a failing rail raises
        RailFailed under the fail-closed policy, as on the chat road."""
        prompt = await self.admit(messages)
        verdicts = await self.verdicts(prompt, stop_on_block=False)
        if (pii := await self._pii(prompt.messages, mask=True, budget=prompt.budget)) is not None:
            verdicts.append(pii)
        return verdicts + await self._self_checked(prompt, verdicts)

    async def verdicts(self, prompt: Prompt, stop_on_block: bool) -> list[Verdict]:
        """The input rails in order on the prompt's shared vector (when one reads it: guardrails.chain.wants_vector),
        in ONE worker call within the rail budget; on a timeout the rail then running, and any after it, count as
        failed."""
        for name in self.off:
            self.metrics.rail_bypasses.labels(name, "off").inc()
        ran: Ran = []
        vector = await prompt.vector() if wants_vector(self.rails, prompt.text) else None
        try:
            await self.slots.run(run_chain, self.rails, prompt.text, vector, self.settings.rail_modes, stop_on_block,
                                 self.settings.input_rail_policy == "open", ran, budget=prompt.budget)
        except TimeoutError as exc:
            ran = ran[:]  # the abandoned thread may still append
            ran += [(rail.name, exc) for rail in self.rails[len(ran):]]
        except PromptTooLong as exc:
            raise too_long(exc) from None
        return [self._count(name, result) for name, result in ran]  # counted in order, up to a refusal

    async def _self_checked(self, prompt: Prompt, verdicts: list[Verdict]) -> list[Verdict]:
        """The engine's self-check verdict, when no rail blocked and a learned rail is unsure (else nothing), within
        what is left of the rail budget; an engine error or a timeout is a failed rail (the fail policy decides)."""
        rail = self.self_check
        if rail is None or not rail.wanted(verdicts, self.rails):
            return []
        started = time.perf_counter()
        result: Verdict | Exception
        try:
            with anyio.fail_after(prompt.budget.left()):
                result = in_mode(await rail.check(rails_text(prompt.messages)),
                                 self.settings.rail_modes.get(rail.name))
        except Exception as exc:  # noqa: BLE001 - TimeoutError, the engine's errors: the fail policy decides
            result = exc
        prompt.budget.spent += time.perf_counter() - started
        return [self._count(rail.name, result)]

    def _count(self, name: str, result: Verdict | Exception) -> Verdict:
        verdict = self._failed(name, result) if isinstance(result, Exception) else result
        self.metrics.rail_verdicts.labels(verdict.rail, verdict.outcome.value).inc()
        self.metrics.rail_seconds.labels(verdict.rail).observe(verdict.seconds)
        return verdict

    def _failed(self, name: str, exc: BaseException) -> Verdict:
        """A rail that raised or timed out: the request is refused, or (policy open) an ERROR verdict + a bypass."""
        logger.warning("input rail %s failed: %s: %s", name, type(exc).__name__, exc)
        if self.settings.input_rail_policy == "open":
            self.metrics.rail_bypasses.labels(name, "error").inc()
            return Verdict(name, Outcome.ERROR, 0.0, f"rail failed open: {type(exc).__name__}")
        self.metrics.rail_verdicts.labels(name, Outcome.ERROR.value).inc()
        raise RailFailed(f"input rail {name!r} failed; request refused (fail closed)", extra={"rail": name}) from exc

    async def _pii(self, messages: list[ChatMessage], mask: bool, budget: Budget) -> Verdict | None:
        """The PII rail over every forwarded message, whatever its role, in one worker call within the rail
        budget; with `mask`, masked text replaces the original."""
        if self.pii is None:
            return None
        rail, texts = self.pii, [m.text() for m in messages]
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
