"""How a long prompt is cut for the learned rails: windows measured in the embedder's own tokens.

A window never holds more tokens than the embedder reads (nothing is silently cut off its tail). Two cuts:

- `windows`: the text whole up to `WINDOW_TOKENS`, else sentence-aligned windows of at most that many tokens
  (what every class is scored on: an injection or a role-play needs its context);
- `focus`: the sentences of a text of two or more of them (fragments joined), so one
  harmful request inside pages of padding, or beside another turn, fills its window instead of a fraction
  of it (a harmful request is local: the harmful class alone is scored on these).

Text beyond what the rails cover is refused (PromptTooLong), never scored partially.

Where a view is cut into several windows, `cut` also says which window holds each focus piece and where
(`Cut.within`): the scorer can then take a focus piece's first-pass vector from the tokens it already embedded for
that window (the mean of the piece's token states, `embed_spans`) instead of embedding the sentence again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import re2

WINDOW_TOKENS = 128  # a text this short is scored whole, as the head was trained; longer: windows this long
FOCUS_TOKENS = 32  # sentences (cut at this many tokens), for the harmful class
MERGE_BELOW = 4  # a focus piece this short ("Hi.", "Step 2:") is joined to the sentence after it

# token (start, end) character offsets of a text, without special tokens
Offsets = Callable[[str], Sequence[tuple[int, int]]]

# RE2 (linear): on Python's `re` a run of end marks with no space after it ("." * 8000) backtracks at every start,
# quadratic (1.4 s for 8,000 characters)
_SENTENCE_END = re2.compile(r"[.!?。！？]+[\"')\]]*\s+|\n+")


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


class Piece(NamedTuple):
    text: str
    tokens: int
    start: int  # character offsets in the view it was cut from
    end: int


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
    return [Piece(text[offsets[first][0]:offsets[end - 1][1]], end - first, offsets[first][0], offsets[end - 1][1])
            for first, end in ranges]


def _windows(text: str, offsets: Sequence[tuple[int, int]], size: int = WINDOW_TOKENS) -> list[Piece]:
    return [Piece(text, len(offsets), 0, len(text))] if len(offsets) <= size \
        else _groups(text, offsets, size, merge_below=size)


def _focus(text: str, offsets: Sequence[tuple[int, int]], size: int = FOCUS_TOKENS) -> list[Piece]:
    if (len(offsets) <= WINDOW_TOKENS and "\n" not in text) or len(_sentences(text, offsets)) < 2:
        return []  # one short line is scored whole, as the head was trained (turns are joined by newlines)
    return _groups(text, offsets, size, merge_below=MERGE_BELOW)


def windows(text: str, offsets: Sequence[tuple[int, int]], size: int = WINDOW_TOKENS) -> list[str]:
    """The text itself when it has at most `size` tokens, else sentence-aligned windows of at most `size`."""
    return [w.text for w in _windows(text, offsets, size)]


def focus(text: str, offsets: Sequence[tuple[int, int]], size: int = FOCUS_TOKENS) -> list[str]:
    """The sentences of a long text or of several lines (a conversation's turns), fragments joined and long ones
    cut at `size` tokens; [] for one sentence or one short line."""
    return [f.text for f in _focus(text, offsets, size)]


@dataclass
class Cut:
    """What the rails score for one prompt: every window of every view, the focus pieces not among them, and for
    each focus piece of a view cut into several windows, (its window's index in `windows`, start, end) of the piece
    in that window's text (None otherwise)."""

    windows: list[str]
    focus: list[str]
    within: list[tuple[int, int, int] | None] = field(default_factory=list)


def _placed(windows: list[Piece], focused: list[Piece]) -> list[tuple[Piece, Piece]]:
    """(focus piece, a window wholly holding it) for each focus piece that has one (both lists in text order)."""
    out, w = [], 0
    for f in focused:  # the first window ending at or after the piece is the only one that can hold it
        while w < len(windows) and windows[w].end < f.end:
            w += 1
        if w < len(windows) and windows[w].start <= f.start:
            out.append((f, windows[w]))
    return out


def cut(views: Sequence[str], offsets: Offsets, limit: int) -> Cut:
    """Every window of every view, the focus pieces not among them (without repeats), and where each focus piece
    lies in a window (see `Cut`). The text itself (the first view) must have at most `limit` tokens, and the
    distinct windows of all views together at most twice that (decoded and hidden text is checked too, and a view
    mostly repeats the text's own windows); else PromptTooLong."""
    pieces: dict[str, int] = {}
    focused: dict[str, int] = {}
    held: dict[str, tuple[str, int, int]] = {}
    for i, view in enumerate(views):
        spans = offsets(view)
        if i == 0:
            require_fits(len(spans), limit)
        windows, focus = _windows(view, spans), _focus(view, spans)
        pieces.update((w.text, w.tokens) for w in windows)
        focused.update((f.text, f.tokens) for f in focus)
        if len(windows) > 1:  # a view read whole is scored whole: its sentences are embedded on their own
            for f, w in _placed(windows, focus):
                held.setdefault(f.text, (w.text, f.start - w.start, f.end - w.start))
        if sum(pieces.values()) > 2 * limit:  # (the focus pieces re-read the same views: bounded by them)
            raise PromptTooLong(f"the prompt and the text decoded or revealed in it need more than {2 * limit} "
                                "tokens of checking (twice RAGGUARD_MAX_PROMPT_TOKENS)")
    index = {w: k for k, w in enumerate(pieces)}
    rest = [f for f in focused if f not in pieces]
    return Cut(list(pieces), rest, [(index[held[f][0]], *held[f][1:]) if f in held else None for f in rest])
