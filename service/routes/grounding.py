"""POST /v1/guardrails/grounding: the output fact-check alone, on caller-given passages (engine not needed)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from guardrails.sentences import split_sentences
from guardrails.verdict import GroundingResult
from index.base import Chunk, Hit
from service.deps import GatewayDep, TenantDep
from service.errors import EngineError, PayloadTooLarge
from service.pipeline.output import OutputCheck
from service.schemas import MAX_CLAIMS, GroundingCheckRequest
from service.trace import Trace, sentence_view

router = APIRouter()
ROUTE = "/v1/guardrails/grounding"


async def _second_opinion(output: OutputCheck, result: GroundingResult,
                          hits: list[Hit]) -> tuple[GroundingResult, dict[str, Any]]:
    """The LLM judge's review when it is configured for this route; skipped (and said so) when the engine is
    down, since this endpoint must answer without it."""
    judge = output.judge
    if judge is None or not output.judged(ROUTE):
        return result, {"used": False, "reason": "the LLM judge is not enabled for this route"}
    try:
        return await judge.review(result, hits), {"used": True, "model": judge.model}
    except EngineError as exc:
        output.metrics.rail_bypasses.labels(judge.name, "engine_unavailable").inc()
        return result, {"used": False, "reason": f"skipped: the engine is unavailable ({exc.message})"}


@router.post(ROUTE)
async def grounding_check(request: GroundingCheckRequest, gateway: GatewayDep, tenant: TenantDep) -> dict[str, Any]:
    """`supported` only when every claim is; `score` is the weakest claim's support, in [0, 1].

    Passages are numbered from 1 as the answer's `[n]` markers count them. Runs the same rail, metrics and
    fail-closed handling as the chat road (a failing check answers 503). Sizes are bounded in the schema and
    by MAX_CLAIMS (413), and the check is admitted like chat."""
    claims_in = split_sentences(request.answer)
    if len(claims_in) > MAX_CLAIMS:
        raise PayloadTooLarge(f"the answer has {len(claims_in)} sentences; at most {MAX_CLAIMS} are checked",
                              param="answer")
    hits = [Hit(Chunk(id=f"passage-{i}", source=f"passage {i}", title="", text=text, start=0, end=len(text)), 1.0)
            for i, text in enumerate(request.passages, start=1)]
    trace = Trace(hits=hits)
    output = gateway.road.output
    async with gateway.admission.slot():
        result = await output.check(claims_in, hits, trace)
        result, judge = await _second_opinion(output, result, hits)
    claims = [{**sentence_view(s), "score": round(min(max(s.score, 0.0), 1.0), 4), "reason": s.reason,
               "citations": list(s.citations)} for s in result.sentences]
    return {"supported": bool(claims) and all(s.supported for s in result.sentences),
            "score": min((c["score"] for c in claims), default=0.0),
            "claims": claims,
            "rail": output.rail.name,
            "judge": judge,
            "seconds": round(trace.timings.get("output_rails", 0.0), 6)}
