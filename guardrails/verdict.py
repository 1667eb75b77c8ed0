"""What every rail returns (the rails' Protocols are in guardrails/base.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Outcome(StrEnum):
    PASS = "pass"
    BLOCK = "block"
    FLAG = "flag"
    ERROR = "error"

    @property
    def rank(self) -> int:
        """pass < flag < block < error: of two verdicts, the worse has the higher rank."""
        return (Outcome.PASS, Outcome.FLAG, Outcome.BLOCK, Outcome.ERROR).index(self)


@dataclass(frozen=True)
class Verdict:
    """A rail's decision with a reason and a score in [0, 1] (higher = more suspicious/supported)."""

    rail: str
    outcome: Outcome
    score: float
    reason: str
    seconds: float = 0.0

    @property
    def blocked(self) -> bool:
        return self.outcome is Outcome.BLOCK


@dataclass(frozen=True)
class SentenceCheck:
    text: str
    supported: bool
    score: float
    best_hit: int | None  # position in the retrieved hits of the best-supporting chunk
    reason: str = ""  # why a sentence is unsupported (empty when supported)
    citations: tuple[int, ...] = ()  # the [n] markers the model wrote on the sentence
    verdict: str = ""  # "supported" / "unsupported" (always as `supported` says), or "refusal": no claim to check

    def __post_init__(self) -> None:
        if self.verdict != "refusal":  # a copy with `supported` changed (dataclasses.replace) follows it
            object.__setattr__(self, "verdict", "supported" if self.supported else "unsupported")


@dataclass
class GroundingResult:
    sentences: list[SentenceCheck] = field(default_factory=list)

    @property
    def supported_ratio(self) -> float:
        if not self.sentences:
            return 0.0
        return sum(s.supported for s in self.sentences) / len(self.sentences)
