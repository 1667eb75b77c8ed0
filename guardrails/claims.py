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
