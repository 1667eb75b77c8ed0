"""Answer sentences as claims: the text to check and the `[n]` source markers the model put on it."""

from __future__ import annotations

import re
from dataclasses import dataclass

_MARKER = re.compile(r"\s*\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]")


@dataclass(frozen=True)
class Claim:
    text: str  # the sentence without its citation markers
    citations: tuple[int, ...]  # 1-based source numbers as written by the model, in order, unique


def parse_claim(sentence: str) -> Claim:
    """`"Port 8080 is the default [1][2]."` -> Claim("Port 8080 is the default.", (1, 2))."""
    cited: list[int] = []
    for m in _MARKER.finditer(sentence):
        cited += [int(n) for n in m.group(1).split(",")]
    text = _MARKER.sub("", sentence).strip()
    return Claim(text or sentence.strip(), tuple(dict.fromkeys(cited)))


def parse_claims(sentences: list[str]) -> list[Claim]:
    return [parse_claim(s) for s in sentences]


_REFUSAL = re.compile(
    r"^(?:sorry,?\s*|unfortunately,?\s*)?(?:"
    r"i\s+(?:do\s*not|don't|cannot|can\s*not|can't|am\s+unable\s+to|am\s+not\s+able\s+to)\s+"
    r"(?:know|answer|tell|find|say|determine)\b"
    r"|(?:the\s+|these\s+)?(?:provided\s+|given\s+|available\s+|retrieved\s+)?(?:sources?|passages?|documents?|context)"
    r"\s+(?:do|does)\s*(?:not|n't)\s+(?:say|contain|mention|answer|provide|include|state|specify|cover)\b"
    r"|there\s+is\s+no\s+information\b|no\s+(?:information|answer)\s+(?:is\s+)?(?:available|given|provided|found)\b)",
    re.IGNORECASE)
_REFUSAL_MAX_WORDS = 20
_WORDS = re.compile(r"[^\W_]+")


def is_refusal(claim: Claim) -> bool:
    """A short sentence that declines to answer ("I do not know: the sources do not say.") states no fact."""
    return len(claim.text.split()) <= _REFUSAL_MAX_WORDS and bool(_REFUSAL.match(claim.text.strip(" \"'*")))


def is_citation_only(claim: Claim) -> bool:
    """A fragment with markers and no words (`[1].`): nothing to check."""
    return not _WORDS.search(_MARKER.sub("", claim.text))
