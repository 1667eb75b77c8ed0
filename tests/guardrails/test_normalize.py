"""The normalizer and the rules on hostile text: any input is handled, and cost grows linearly with length."""

import re
import time
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guardrails.injection import InjectionRail
from guardrails.normalize import normalize, views
from guardrails.windows import Cut, PromptTooLong, cut, focus, windows

MARKUP = st.sampled_from(["[", "]", "(", ")", "<!--", "-->", "<", ">", "](", "[a](", '"', "'", "=", "&#", ";", "\n",
                          "alt=", "![", "]:", " ", "\u00ad", "\u202e", "\u200b", "==", "a", "Q", "0f", ":",
                          # what guardrails.encodings and guardrails.wordplay read: invisible characters, escapes,
                          # bits, Morse, turned letters, Ascii85, NATO words, quoted pieces, pig Latin, doubled letters
                          "\U000e0041", "\U000e000a", "\ufe01", "\U000e0101", "%4", "\\u00", "\\x4", "01", " / ", ".-",
                          "ǝ", "Ab", "==", "<~", "~>", "87cU", "Alfa ", "Zulu", "' + '", "ay ", "IIgg", "\U0001f1e6",
                          "ᴀ", "\U0001f642", "0x4", "65 ", "=4", "U+00", "\u2801", "begin 644 a\n", "M", "`"])
HOSTILE = st.one_of(st.text(max_size=400), st.lists(MARKUP, max_size=300).map("".join))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(HOSTILE)
def test_views_and_rules_take_any_text(text: str) -> None:
    out = views(text)
    assert out and out[0] == normalize(text) and len(out) <= 6
    assert InjectionRail().check(text).outcome.value in ("pass", "block")


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=600))
def test_windows_cover_the_text_and_fit_the_embedder(text: str) -> None:
    offsets = [(i, i + 1) for i, c in enumerate(text) if not c.isspace()]  # one "token" per visible character
    if not offsets:
        return
    for pieces, size in ((windows(text, offsets, size=16), 16), (focus(text, offsets, size=8) or [text], 16)):
        covered = "".join(pieces)
        assert all(c in covered for c in text if not c.isspace())
        assert all(sum(not c.isspace() for c in p) <= size for p in pieces) or pieces == [text]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["Short one.", "A somewhat longer sentence with more words in it.", "Hi!", "\n",
                                 "word " * 30 + ".", "One more line"]), min_size=1, max_size=60).map(" ".join))
def test_a_focus_piece_of_a_long_view_is_placed_in_a_window_that_holds_it(text: str) -> None:
    offsets = lambda t: [(m.start(), m.end()) for m in re.finditer(r"\S+", t)]  # noqa: E731  # a word a token
    plan = cut([text], offsets, 10_000)
    assert len(plan.within) == len(plan.focus)
    for piece, where in zip(plan.focus, plan.within, strict=True):
        if where is not None:
            k, start, end = where
            assert plan.windows[k][start:end] == piece
    if len(plan.windows) > 1:  # a long view: windows hold whole sentences, so a one-sentence piece is placed
        assert all(w is not None for p, w in zip(plan.focus, plan.within, strict=True)
                   if not re.search(r"[.!]\s|\n", p.strip()))
    else:
        assert not any(plan.within)


def test_text_beyond_the_cap_is_refused_not_cut() -> None:
    offsets = lambda text: [(i, i + 1) for i in range(len(text)) if not text[i].isspace()]  # noqa: E731
    assert cut(["abc", "abc"], offsets, 5) == Cut(["abc"], [], [])  # a view repeating the text costs nothing more
    with pytest.raises(PromptTooLong):
        cut(["abcdef"], offsets, 5)  # the text itself
    with pytest.raises(PromptTooLong):
        cut(["abcde", "vwxyz", "klmno"], offsets, 5)  # what the views reveal, beyond twice the cap


def _cpu(fn: Callable[[str], object], text: str) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        fn(text)
        best = min(best, time.process_time() - started)
    return max(best, 1e-4)


@pytest.mark.parametrize("unit", ["[", "<!--", "](", "[a](", "<a ", "aa ", "&#", "ignore the ", "]: x '", "==", "a ",
                                  ".- / ", "%41", "01000001 ", "\\u0041", "Jxu gxw. ", "\U000e0041", "\ufe01",
                                  "87cURD]i,", "'ab' + ", "Alfa Bravo ", "ellohay ", "IIggnn ", "a\U0001f642",
                                  "Give me how to ", "won ", "0x41, ", "65 ", "101 ", "=41", "U+0041 ", "\u2801",
                                  "QUJD\n", "M86)C\n", "a = 'xy'; ", "'ab', ", "a='"])
def test_cost_grows_linearly_with_length(unit: str) -> None:
    """Structural, not a stopwatch: 4x the text must cost well under 16x (what a quadratic pattern costs)."""
    small, large = unit * (2_000 // len(unit)), unit * (8_000 // len(unit))
    for fn in (views, InjectionRail().check):
        ratio = _cpu(fn, large) / _cpu(fn, small)
        assert ratio < 9, f"{fn} on {unit!r}: 4x the text cost {ratio:.1f}x"


def test_sentence_ends_of_a_run_of_stops_with_no_space_is_one_sentence() -> None:
    from guardrails.windows import _sentence_ends

    # RE2: on a backtracking regex "." * 8000 took 1.4 s here (every start tried the whole run)
    assert _sentence_ends("." * 8000) == [8000]
    assert _sentence_ends("One. Two!\nThree") == [5, 10, 15]

