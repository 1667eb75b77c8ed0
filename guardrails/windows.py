"""How a long prompt is cut for the learned rails: windows measured in the embedder's own tokens.

A window never holds more tokens than the embedder reads (nothing is silently cut off its tail). Two cuts:

- `windows`: the text whole up to `WINDOW_TOKENS`, else sentence-aligned windows of at most that many tokens
  (what every class is scored on: an injection or a role-play needs its context);
- `focus`: the sentences of a text of two or more of them (fragments joined), so one
  harmful request inside pages of padding, or beside another turn, fills its window instead of a fraction
  of it (a harmful request is local: the harmful class alone is scored on these).

Text beyond what the rails cover is refused (PromptTooLong), never scored partially.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

WINDOW_TOKENS = 128  # a text this short is scored whole, as the head was trained; longer: windows this long
FOCUS_TOKENS = 32  # sentences (cut at this many tokens), for the harmful class
MERGE_BELOW = 4  # a focus piece this short ("Hi.", "Step 2:") is joined to the sentence after it

# token (start, end) character offsets of a text, without special tokens
Offsets = Callable[[str], Sequence[tuple[int, int]]]

_SENTENCE_END = re.compile(r"[.!?。！？]+[\"')\]]*\s+|\n+")  # one character class run: linear on `re`


class PromptTooLong(ValueError):
    """More text than the rails check; the request is refused (413), never scored in part."""


def require_fits(tokens: int, limit: int) -> None:
    """PromptTooLong for a text of more than `limit` tokens (RAGGUARD_MAX_PROMPT_TOKENS)."""
    if tokens > limit:
        raise PromptTooLong(f"the prompt has more than the {limit} tokens the input rails check "
                            "(RAGGUARD_MAX_PROMPT_TOKENS)")


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


Piece = tuple[str, int]  # a window's text and its length in tokens


def _groups(text: str, offsets: Sequence[tuple[int, int]], size: int, merge_below: int) -> list[Piece]:
    """Sentence-aligned windows of at most `size` tokens covering every token: a sentence shorter than
    `merge_below` tokens shares its window with the next ones, a longer sentence gets overlapping token windows
    three quarters of `size` apart."""
    ranges: list[tuple[int, int]] = []
    stride = max(size * 3 // 4, 1)
    for first, end in _sentences(text, offsets):
        if end - first > size:  # one long sentence: overlapping token windows over it
            last = end - size
            ranges += [(a, a + size) for a in range(first, last, stride)] + [(last, end)]
        elif ranges and ranges[-1][1] == first and end - ranges[-1][0] <= size and \
                ranges[-1][1] - ranges[-1][0] < merge_below:
            ranges[-1] = (ranges[-1][0], end)  # a short sentence shares a window with what follows
        else:
            ranges.append((first, end))
    return [(text[offsets[first][0]:offsets[end - 1][1]], end - first) for first, end in ranges]


def _windows(text: str, offsets: Sequence[tuple[int, int]], size: int = WINDOW_TOKENS) -> list[Piece]:
    return [(text, len(offsets))] if len(offsets) <= size else _groups(text, offsets, size, merge_below=size)


def _focus(text: str, offsets: Sequence[tuple[int, int]], size: int = FOCUS_TOKENS) -> list[Piece]:
    if (len(offsets) <= WINDOW_TOKENS and "\n" not in text) or len(_sentences(text, offsets)) < 2:
        return []  # one short line is scored whole, as the head was trained (turns are joined by newlines)
    return _groups(text, offsets, size, merge_below=MERGE_BELOW)


def windows(text: str, offsets: Sequence[tuple[int, int]], size: int = WINDOW_TOKENS) -> list[str]:
    """The text itself when it has at most `size` tokens, else sentence-aligned windows of at most `size`."""
    return [w for w, _ in _windows(text, offsets, size)]


def focus(text: str, offsets: Sequence[tuple[int, int]], size: int = FOCUS_TOKENS) -> list[str]:
    """The sentences of a long text or of several lines (a conversation's turns), fragments joined and long ones
    cut at `size` tokens; [] for one sentence or one short line."""
    return [f for f, _ in _focus(text, offsets, size)]


def cut(views: Sequence[str], offsets: Offsets, limit: int) -> tuple[list[str], list[str]]:
    """(every window of every view, the focus pieces not among them), without repeats. The text itself (the first
    view) must have at most `limit` tokens, and the distinct windows of all views together at most twice that
    (decoded and hidden text is checked too, and a view mostly repeats the text's own windows); else
    PromptTooLong."""
    pieces: dict[str, int] = {}
    focused: dict[str, int] = {}
    for i, view in enumerate(views):
        spans = offsets(view)
        if i == 0:
            require_fits(len(spans), limit)
        pieces.update(_windows(view, spans))
        focused.update(_focus(view, spans))
        if sum(pieces.values()) > 2 * limit:  # (the focus pieces re-read the same views: bounded by them)
            raise PromptTooLong(f"the prompt and the text decoded or revealed in it need more than {2 * limit} "
                                "tokens of checking (twice RAGGUARD_MAX_PROMPT_TOKENS)")
    return list(pieces), [f for f in focused if f not in pieces]
