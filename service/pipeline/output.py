"""The output stage: answer sentences checked against the retrieved sources (the LLM judge's second opinion on
the routes it is configured for). A sentence that recites the gateway's own instructions is unsupported whatever
the support model says; in an answer, an image, link or address the sources do not hold is taken out of its
sentence (`unlinked`: guardrails/links.py, RAGGUARD_ANSWER_LINKS). A failing check withholds the answer (fail
closed) unless RAGGUARD_OUTPUT_RAIL_POLICY=open, which counts a bypass."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

from guardrails.base import Judge, OutputRail
from guardrails.links import LinkPolicy, known_addresses
from guardrails.verdict import GroundingResult, Outcome, SentenceCheck
from index.base import Hit
from service.errors import Overloaded, RailFailed
from service.metrics import Metrics
from service.pipeline.clock import Clock
from service.prompt import RECITED, recites_instructions
from service.settings import Settings
from service.trace import Trace
from service.work import CpuSlots

logger = logging.getLogger(__name__)


@dataclass
class OutputCheck:
    settings: Settings
    metrics: Metrics
    rail: OutputRail
    slots: CpuSlots
    clock: Clock
    judge: Judge | None = None

    def judged(self, route: str) -> bool:
        """Whether the LLM judge reviews this route's (a model name's or an endpoint's) claims."""
        return bool(self.judge and self.judge.wanted(route))

    async def check(self, sentences: list[str], hits: list[Hit], trace: Trace) -> GroundingResult:
        """Each sentence's verdict (supported / unsupported / refusal), counted and timed."""
        result = await self.clock.timed(trace, "output_rails", lambda: self._check(sentences, hits, trace.judged))
        result.sentences = [dataclasses.replace(s, supported=False, verdict="", reason=RECITED)
                            if recites_instructions(s.text) else s for s in result.sentences]
        for s in result.sentences:
            self.metrics.rail_verdicts.labels(self.rail.name, s.verdict).inc()
        return result

    def unlinked(self, sentences: list[SentenceCheck], hits: list[Hit]) -> list[SentenceCheck]:
        """An answer's checked sentences, those with an image, link or address the sources do not hold rewritten
        without it (counted); the others as they are. RAGGUARD_ANSWER_LINKS=any: all as they are."""
        if self.settings.answer_links == "any":
            return sentences
        policy = LinkPolicy(frozenset(self.settings.answer_link_hosts))
        known, out = known_addresses(hits), []
        for s in sentences:
            text, removed = policy.scrub(s.text, known)
            for kind, n in removed.items():
                self.metrics.answer_links.labels(kind).inc(n)
            out.append(dataclasses.replace(s, text=text) if removed else s)
        return out

    async def _check(self, sentences: list[str], hits: list[Hit], judged: bool) -> GroundingResult:
        try:
            result = await self.slots.run(self.rail.check, sentences, hits)
            return await self.judge.review(result, hits) if self.judge and judged else result
        except Overloaded:
            raise  # no CPU worker free: the client retries; not a failure of the rail
        except Exception as exc:  # noqa: BLE001 - the output policy decides
            logger.warning("output rail %s failed: %s: %s", self.rail.name, type(exc).__name__, exc)
            self.metrics.rail_verdicts.labels(self.rail.name, Outcome.ERROR.value).inc()
            if self.settings.output_rail_policy == "open":
                self.metrics.rail_bypasses.labels(self.rail.name, "error").inc()
                return GroundingResult([])
            raise RailFailed(f"output rail {self.rail.name!r} failed; answer withheld (fail closed)",
                             extra={"rail": self.rail.name}) from exc
