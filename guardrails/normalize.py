"""Undo the usual hiding tricks before any input check: Unicode folding, encodings, markup.

`normalize(text)` gives one canonical string; `views(text)` adds each decoded reading (guardrails.encodings: base64
and other payloads, text in invisible characters; guardrails.wordplay: spelled-out letters, shifted alphabets, words
in reverse order and other word games; and rot13, reversed text, leetspeak, markup-hidden content) as extra strings
that a rail checks as well, so an attack that only shows its meaning after decoding is still seen.
"""

from __future__ import annotations

import codecs
import html
import re
import unicodedata
from functools import lru_cache

import re2

from guardrails.encodings import SENTENCE, decoded_payloads, percent_decoded, raw_payloads, smuggled, wordiness
from guardrails.wordplay import (
    assigned_pieces,
    joined_pieces,
    reversed_words,
    run_together,
    shifted,
    spelled_out,
    upside_down,
    word_games,
)

# A client controls this text. Patterns with alternation, optional groups or lazy runs (markup, hex) run on RE2
# (linear time, no backtracking): on Python's `re` they took 30+ s on 8,000 "[" characters while holding the
# GIL. RE2 has no look-around, so the checks that needed one are done in Python after the match. Patterns that
# are one character class repeated stay on `re` (linear there too, and without RE2's per-match overhead).
# Tag characters and supplementary variation selectors can spell text no reader sees (guardrails.encodings.smuggled
# reads it into a view of its own). Some engine models read them, the rails' tokenizer drops them: they are removed
# from every view (as zero-width characters) and from what the engine is sent and answers (`visible`).
_SMUGGLING_RANGES = "\U000e0000-\U000e007f\U000e0100-\U000e01ef"
_SMUGGLING = re.compile(f"[{_SMUGGLING_RANGES}]+")
_ZERO_WIDTH = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e"
                          f"\u2060-\u2064\u2066-\u206f\ufeff\ufe00-\ufe0f{_SMUGGLING_RANGES}]")
# Look-alike letters NFKC keeps apart (Cyrillic, Greek, a few symbols) -> their Latin twin.
_CONFUSABLES = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d", "ԛ": "q", "ԝ": "w",
    "һ": "h", "ɡ": "g", "ɑ": "a", "ο": "o", "α": "a", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O",
    "Р": "P", "С": "C", "Т": "T", "Х": "X", "Ѕ": "S", "І": "I", "Ј": "J", "Α": "A", "Β": "B", "Ε": "E",
    "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y",
    "Χ": "X", "ℓ": "l", "ı": "i",
    # small capitals, and regional indicator letters (the emoji letters that pairs of make flags)
    **dict(zip("ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘǫʀꜱᴛᴜᴠᴡʏᴢ", "abcdefghijklmnopqrstuvwyz", strict=True)),
    **{chr(0x1F1E6 + i): c for i, c in enumerate("abcdefghijklmnopqrstuvwxyz")},
})
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "@": "a",
                       "$": "s", "!": "i", "|": "l", "+": "t"})
_LEET_CHARS = frozenset("0123456789@$!|+")
_LEET_RUN = re.compile(r"[a-zA-Z0-9@$!|+]+")
_HTML_COMMENT = re2.compile(r"(?s)<!--(.*?)-->")
_TAG = re2.compile(r"</?[a-zA-Z][^>]{0,500}>")
_ATTR_TEXT = re2.compile(r"(?i)\b(?:alt|title|aria-label|content|value)\s*=\s*[\"']([^\"']{4,})[\"']")
_MD_LINK = re2.compile(r"!?\[([^\]]*)\]\(([^)\s]*)(?:\s+\"([^\"]*)\")?\)")
_MD_REF = re2.compile(r"(?m)^\s*\[[^\]]+\]:\s*\S+\s+[\"'(](.+?)[\"')]\s*$")
_SPACES = re.compile(r"[ \t\f\v]+")


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = _ZERO_WIDTH.sub("", text)
    text = text.translate(_CONFUSABLES)
    # Drop combining marks ("ı̇g̸n̸o̸r̸e") but keep letters of non-Latin scripts.
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", text)


def _unmark(text: str) -> str:
    """Expose text hidden by markup: comments, tag attributes, link titles; then drop the tags.
    Each step runs only when its marker is in the text (most prompts have no markup at all)."""
    if "&" in text:
        text = html.unescape(text)
    if "<!--" in text:
        text = _HTML_COMMENT.sub(lambda m: " " + m.group(1) + " ", text)
    if "=" in text:
        text = _ATTR_TEXT.sub(lambda m: " " + m.group(1) + " " + m.group(0), text)
    if "](" in text:
        text = _MD_LINK.sub(lambda m: " ".join(p for p in m.groups() if p), text)
    if "]:" in text:
        text = _MD_REF.sub(lambda m: m.group(1), text)
    return _TAG.sub(" ", text) if "<" in text else text


def unhidden(text: str) -> str:
    """NFKC without zero-width characters: the text as a reader sees it, its letters not folded to Latin (a Cyrillic
    sentence stays Cyrillic, where `normalize` turns its look-alike letters into Latin ones)."""
    return _ZERO_WIDTH.sub("", unicodedata.normalize("NFKC", text))


def normalize(text: str) -> str:
    """NFKC, zero-width removal, confusables, markup revealed; whitespace kept but squeezed."""
    return _SPACES.sub(" ", _unmark(_fold(text))).strip()


def visible(text: str) -> str:
    """The text without tag characters and supplementary variation selectors: what can carry text no reader sees
    (an engine's answer is passed on without them; emoji keep their usual selectors, a subdivision flag shows as
    a plain black flag)."""
    return text if text.isascii() else _SMUGGLING.sub("", text)


def _leet_words(text: str) -> list[str]:
    """Words of 3-20 characters mixing letters with digits or symbols ("1gn0r3")."""
    return [w for w in _LEET_RUN.findall(text)
            if 3 <= len(w) <= 20 and any(c.isalpha() for c in w) and any(c in _LEET_CHARS for c in w)]


@lru_cache(maxsize=8)
def views(text: str, max_views: int = 6) -> tuple[str, ...]:
    """The normalized text first, then each decoded reading that looks more like language than it. Kept for the last
    few texts: the language rail and the learned rails read the same prompt's views, one after the other."""
    base = normalize(text)
    out = [base]
    base_score = wordiness(base)

    def add(candidate: str, needs_gain: bool = True) -> None:
        candidate = normalize(candidate)
        if candidate and candidate not in out and (not needs_gain or wordiness(candidate) > base_score + 0.1):
            out.append(candidate)

    shown = unhidden(text)
    for payload in (*smuggled(text), *decoded_payloads(base), *raw_payloads(shown), *spelled_out(shown),
                    *joined_pieces(base)):
        add(payload, needs_gain=False)
        for inner in decoded_payloads(payload):  # base64 of base64
            add(inner, needs_gain=False)
    if (unquoted := percent_decoded(base)) is not None:
        add(unquoted)
    add(run_together(base))
    for played in (*word_games(base), *assigned_pieces(base)):
        add(played)
    add(upside_down(base))
    add(codecs.decode(base, "rot13"))
    for sentences in (shifted(base), reversed_words(base)):
        if sentences:
            add(" ".join(sentences), needs_gain=False)
    add(base[::-1])
    # Leetspeak: the sentences with two or more such words ("1gn0r3 4ll ..."; one "k8s" is not leetspeak), read
    # without it, where that reads more like language; the rest of the text is the base view already (technical
    # text full of "int8" and "v1" would otherwise double what is embedded).
    leet = [plain for sentence in SENTENCE.findall(base) if len(_leet_words(sentence)) >= 2
            and wordiness(plain := _LEET_RUN.sub(lambda m: _unleet(m.group(0)), sentence))
            > wordiness(sentence) + 0.1]
    if leet:
        add(" ".join(leet), needs_gain=False)
    # Past `max_views`, the rest are read as one view: decoy payloads cannot push the one that matters out of it.
    return tuple(out) if len(out) <= max_views else (*out[:max_views - 1], "\n".join(out[max_views - 1:]))


def _unleet(word: str) -> str:
    return word.translate(_LEET) if 3 <= len(word) <= 20 and any(c.isalpha() for c in word) else word
