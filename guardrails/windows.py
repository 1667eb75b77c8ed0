"""How a long prompt is cut for the learned rails: windows measured in the embedder's own tokens.

A window never holds more tokens than the embedder reads (nothing is silently cut off its tail), and a
long text is cut into sentence-aligned windows of at most `FOCUS_TOKENS` tokens, so one harmful request
inside pages of padding fills most of a window instead of a fraction of it (its score is not diluted).
Text beyond what the rails cover is refused (PromptTooLong), never scored partially.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

WHOLE_TOKENS = 128  # a text this short is scored whole, as the head was trained
FOCUS_TOKENS = 64  # a longer text: windows of whole sentences up to this many tokens
STRIDE_TOKENS = 48  # a sentence longer than FOCUS_TOKENS: windows of FOCUS_TOKENS tokens, this far apart

# token (start, end) character offsets of a text, without special tokens
Offsets = Callable[[str], Sequence[tuple[int, int]]]

_SENTENCE_END = re.compile(r"[.!?。！？]+[\"')\]]*\s+|\n+")  # one character class run: linear on `re`


class PromptTooLong(ValueError):
    """More text than the rails check; the request is refused (413), never scored in part."""


def tokenizer_offsets(tokenizer: object) -> Offsets:
    """Offsets from a Hugging Face fast tokenizer (what both embedders carry)."""

    def offsets(text: str) -> Sequence[tuple[int, int]]:
        enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True,  # type: ignore[operator]
                        return_attention_mask=False, return_token_type_ids=False, verbose=False)
        return [tuple(o) for o in enc["offset_mapping"]]  # type: ignore[misc]

    return offsets


def _sentence_ends(text: str) -> list[int]:
    """Character positions where sentences end (the last one is len(text))."""
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    return [e for e in ends if e < len(text)] + [len(text)]


def _sentences(text: str, offsets: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Token ranges [first, end) of the text's sentences."""
    bounds = _sentence_ends(text)
    out, first, b = [], 0, 0
    for i, (_, end) in enumerate(offsets):
        while end > bounds[b]:  # this token lies past the sentence's end: close the sentence
            if i > first:
                out.append((first, i))
            first, b = i, b + 1
    if len(offsets) > first:
        out.append((first, len(offsets)))
    return out


def windows(text: str, offsets: Sequence[tuple[int, int]], whole: int = WHOLE_TOKENS,
            focus: int = FOCUS_TOKENS, stride: int = STRIDE_TOKENS) -> list[str]:
    """The text itself when it has at most `whole` tokens; else sentence-aligned windows of at most `focus`
    tokens covering every token (a sentence longer than that is cut into overlapping token windows)."""
    if len(offsets) <= whole:
        return [text]
    ranges: list[tuple[int, int]] = []
    for first, end in _sentences(text, offsets):
        if end - first > focus:  # one long sentence: overlapping token windows over it
            last = end - focus
            ranges += [(a, a + focus) for a in range(first, last, stride)] + [(last, end)]
        elif ranges and end - ranges[-1][0] <= focus and ranges[-1][1] == first:
            ranges[-1] = (ranges[-1][0], end)  # short sentences share a window
        else:
            ranges.append((first, end))
    return [_span(text, offsets, first, end) for first, end in ranges]


def _span(text: str, offsets: Sequence[tuple[int, int]], first: int, end: int) -> str:
    return text[offsets[first][0]:offsets[end - 1][1]]


def fit(views: Sequence[str], offsets: Offsets, limit: int) -> list[tuple[str, Sequence[tuple[int, int]]]]:
    """Each view with its token offsets, refusing (PromptTooLong) when together they pass `limit` tokens."""
    out, total = [], 0
    for view in views:
        spans = offsets(view)
        total += len(spans)
        if total > limit:
            raise PromptTooLong(f"the prompt needs more than the {limit} tokens the input rails check "
                                f"(RAGGUARD_MAX_PROMPT_TOKENS, counting decoded and hidden text)")
        out.append((view, spans))
    return out
