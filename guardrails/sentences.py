"""Sentence splitting for answers, whole or arriving token by token."""

from __future__ import annotations

import re

_BOUNDARY = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9*#-])|\n\s*\n|\n(?=\s*(?:[-*]|\d+\.)\s)")
_MIN_CHARS = 3


def split_sentences(text: str) -> list[str]:
    """Split into sentences/list items; fragments shorter than 3 characters are dropped."""
    parts, pos = [], 0
    for m in _BOUNDARY.finditer(text):
        parts.append(text[pos:m.start()].strip())
        pos = m.end()
    parts.append(text[pos:].strip())
    return [p for p in parts if len(p) >= _MIN_CHARS]


class SentenceStream:
    """Feed text deltas; get back the sentences that are complete so far."""

    def __init__(self) -> None:
        self._buffer = ""

    def feed(self, delta: str) -> list[str]:
        self._buffer += delta
        last = None
        for m in _BOUNDARY.finditer(self._buffer):
            last = m
        if last is None:
            return []
        done, self._buffer = self._buffer[:last.start()], self._buffer[last.end():]
        return split_sentences(done)

    def flush(self) -> list[str]:
        rest, self._buffer = self._buffer, ""
        return split_sentences(rest)
