"""What the output rail's per-sentence checks mean for the answer, by policy."""

from __future__ import annotations

from dataclasses import dataclass

from guardrails.verdict import GroundingResult


@dataclass(frozen=True)
class PolicyDecision:
    kept: list[bool]
    refused: bool
    verdict: str  # grounded | partially_grounded | ungrounded | refused | empty


def overall_verdict(result: GroundingResult) -> str:
    if not result.sentences:
        return "empty"
    ratio = result.supported_ratio
    return "grounded" if ratio == 1.0 else "ungrounded" if ratio == 0.0 else "partially_grounded"


def decide(result: GroundingResult, policy: str, refuse_min_supported: float) -> PolicyDecision:
    """annotate keeps everything; strip drops unsupported sentences; refuse replaces a weak answer."""
    supported = [s.supported for s in result.sentences]
    if policy == "annotate":
        return PolicyDecision([True] * len(supported), False, overall_verdict(result))
    if policy == "strip":
        refused = not any(supported)
        return PolicyDecision(supported, refused, "refused" if refused else overall_verdict(result))
    refused = not supported or result.supported_ratio < refuse_min_supported
    return PolicyDecision([not refused] * len(supported), refused,
                          "refused" if refused else overall_verdict(result))
