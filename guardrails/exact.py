"""Cheap exact checks beside the model: facts a claim states must be found in its sources.

Numbers (with units/percent stripped), years and dates, and capitalized names in a claim must occur in
the passages the claim is checked against; a citation marker must point at a passage that was retrieved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:[.,:]\d+)*(?![\w])|(?<![\w.])[-+]?\d+(?=[a-zA-Z%])")
_WORD_NUMBERS = {"zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
                 "seven": "7", "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
                 "twenty": "20", "hundred": "100", "thousand": "1000", "half": "50", "once": "1", "twice": "2"}
_NAME = re.compile(r"(?<![.!?:]\s)(?<!^)\b[A-Z][a-zA-Z0-9]+(?:[-_][A-Za-z0-9]+)*\b|\b[A-Z]{2,}[A-Z0-9_]*\b")
_TOKEN = re.compile(r"[a-z0-9]+")
_DIGITS = re.compile(r"\d+(?:\.\d+)?")
_COMMON = {"I", "The", "A", "An", "It", "This", "That", "These", "Those", "They", "We", "You", "He", "She",
           "In", "On", "At", "For", "If", "When", "Yes", "No", "However", "Also", "And", "But", "Or", "To",
           "OK", "AI", "LLM", "API", "Note", "Source", "Sources", "Answer"}


@dataclass(frozen=True)
class ExactResult:
    missing: tuple[str, ...]  # facts of the claim found in none of the passages

    @property
    def ok(self) -> bool:
        return not self.missing

    def reason(self) -> str:
        return "" if self.ok else "not in the sources: " + ", ".join(self.missing)


def _canon_number(raw: str) -> str:
    n = raw.lstrip("+").replace(",", "")
    if "." in n and ":" not in n:
        n = n.rstrip("0").rstrip(".") or "0"
    return n


def numbers(text: str) -> set[str]:
    """Numbers in canonical form (1,000 -> 1000; 2.50 -> 2.5); `8080/tcp`, `95%`, `10s` count too."""
    return {_canon_number(m.group(0)) for m in _NUMBER.finditer(text)}


def names(text: str) -> set[str]:
    """Capitalized words not at a sentence start (names, products, acronyms), minus common words."""
    return {m.group(0) for m in _NAME.finditer(text)} - _COMMON


def _source_numbers(text: str) -> set[str]:
    found = numbers(text) | {_canon_number(d) for d in _DIGITS.findall(text)}  # 127.0.0.1:8080 has 8080
    found |= {_WORD_NUMBERS[w] for w in _TOKEN.findall(text.lower()) if w in _WORD_NUMBERS}
    return found


@lru_cache(maxsize=8192)
def _passage_facts(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """A passage's numbers and lower-cased words, cached: the same passages and windows back many claims, and
    scanning them was ~80% of a claim's check outside its embedding."""
    return frozenset(_source_numbers(text)), frozenset(_TOKEN.findall(text.lower()))


def check_facts(claim: str, passages: list[str]) -> ExactResult:
    """Every number and name in the claim must appear in at least one passage (case-insensitive names)."""
    facts = [_passage_facts(p) for p in passages]
    have_numbers = frozenset().union(*(nums for nums, _ in facts))
    lowered = frozenset().union(*(words for _, words in facts))
    missing = [n for n in sorted(numbers(claim)) if n not in have_numbers]
    for name in sorted(names(claim)):
        parts = _TOKEN.findall(name.lower())
        if parts and not all(p in lowered for p in parts):
            missing.append(name)
    return ExactResult(tuple(missing))


def unknown_citations(citations: tuple[int, ...], retrieved: int) -> tuple[int, ...]:
    """Markers that point at no retrieved passage (sources are numbered 1..retrieved)."""
    return tuple(c for c in citations if not 1 <= c <= retrieved)
