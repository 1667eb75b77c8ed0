"""What one request leaves behind (`Trace`) and how its checked parts are shown to clients."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import anyio
import numpy as np
from opentelemetry import trace as otel

from guardrails.policy import PolicyDecision
from guardrails.verdict import GroundingResult, SentenceCheck, Verdict
from index.base import Hit
from service.schemas import Citation

REMOVED_REASON = "not supported by the retrieved sources"


def sentence_view(s: SentenceCheck, kept: bool = True, show_removed: bool = False) -> dict[str, Any]:
    """One checked sentence as clients see it; `citation` is the 1-based source number. A sentence the policy
    removed (strip, refuse) is shown without its text unless `show_removed` (RAGGUARD_EXPOSE_REMOVED_TEXT)."""
    view = {"text": s.text if kept or show_removed else "", "verdict": s.verdict,
            "score": round(s.score, 4), "citation": None if s.best_hit is None else s.best_hit + 1, "kept": kept}
    if not kept:
        view["reason"] = s.reason or REMOVED_REASON
    return view


def rail_view(v: Verdict) -> dict[str, Any]:
    """One input rail's decision as clients see it (never the classifier's internals)."""
    return {"rail": v.rail, "verdict": v.outcome.value, "score": v.score, "reason": v.reason,
            "seconds": round(v.seconds, 6)}


@dataclass
class Trace:
    """What happened to one request: rail verdicts, retrieved hits, stage timings."""

    id: str = field(default_factory=lambda: f"chatcmpl-{uuid.uuid4().hex[:24]}")
    started: float = field(default_factory=time.perf_counter)
    created: int = field(default_factory=lambda: int(time.time()))
    verdicts: list[Verdict] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    span: otel.Span = field(default_factory=lambda: otel.INVALID_SPAN)
    prompt_text: str = ""
    prompt_vector: np.ndarray | None = None
    embedded: anyio.Event | None = None  # set once prompt_vector is in (chat road: retrieval waits for it)
    searched: str = ""  # the question retrieval searched for
    judged: bool = False  # the LLM judge reviews this request's claims (configured route)

    def citations(self) -> list[Citation]:
        return [Citation(index=i, chunk_id=h.chunk.id, source=h.chunk.source, title=h.chunk.title,
                         text=h.chunk.text, start=h.chunk.start, end=h.chunk.end, score=round(h.score, 4))
                for i, h in enumerate(self.hits, start=1)]

    def server_timing(self) -> str:
        return ", ".join(f"{k};dur={v * 1000:.1f}" for k, v in self.timings.items())


def report(trace: Trace, policy: str, result: GroundingResult, decision: PolicyDecision,
           show_removed: bool = False) -> dict[str, Any]:
    """The `ragguard` extension of a chat answer: rail verdicts, per-sentence grounding, timings."""
    return {
        "request_id": trace.id,
        "input_rails": [rail_view(v) for v in trace.verdicts],
        "grounding": {
            "policy": policy,
            "verdict": decision.verdict,
            "llm_judge": trace.judged,
            "supported_ratio": round(result.supported_ratio, 4),
            "sentences": [sentence_view(s, kept, show_removed)
                          for s, kept in zip(result.sentences, decision.kept, strict=True)],
        },
        "timings": {k: round(v, 6) for k, v in trace.timings.items()},
    }
