"""Undo the usual hiding tricks before any input check: Unicode folding, encodings, markup.

`normalize(text)` gives one canonical string; `views(text)` adds decoded payloads (base64, rot13,
leetspeak, reversed text, markup-hidden content, text spelled in invisible tag characters or variation
selectors) as extra strings that a rail checks as well, so an attack that only shows its meaning after
decoding is still seen.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import html
import re
import unicodedata
import urllib.parse
from functools import lru_cache

import re2

# A client controls this text. Patterns with alternation, optional groups or lazy runs (markup, hex) run on RE2
# (linear time, no backtracking): on Python's `re` they took 30+ s on 8,000 "[" characters while holding the
# GIL. RE2 has no look-around, so the checks that needed one are done in Python after the match. Patterns that
# are one character class repeated stay on `re` (linear there too, and without RE2's per-match overhead).
_ZERO_WIDTH = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e"
                          "\u2060-\u2064\u2066-\u206f\ufeff\ufe00-\ufe0f\U000e0000-\U000e007f"
                          "\U000e0100-\U000e01ef]")
# Invisible characters that spell text: Unicode tag characters (U+E0020-E007E shadow ASCII: "ASCII smuggling"), and
# variation selectors read as one byte each (VS1-16 -> 0-15, VS17-256 -> 16-255: a payload hidden after an emoji).
# Some engine models read them; the rails' tokenizer drops them. Both are removed from every view and decoded into
# a view of their own (`smuggled`).
_SMUGGLING = re.compile("[\U000e0000-\U000e007f\U000e0100-\U000e01ef]+")  # what `visible` drops from answers
_TAG_RUN = re.compile("[\U000e0000-\U000e007f]{8,}")
_SELECTOR_RUN = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]{8,}")
# Look-alike letters NFKC keeps apart (Cyrillic, Greek, a few symbols) -> their Latin twin.
_CONFUSABLES = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d", "ԛ": "q", "ԝ": "w",
    "һ": "h", "ɡ": "g", "ɑ": "a", "ο": "o", "α": "a", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O",
    "Р": "P", "С": "C", "Т": "T", "Х": "X", "Ѕ": "S", "І": "I", "Ј": "J", "Α": "A", "Β": "B", "Ε": "E",
    "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y",
    "Χ": "X", "ℓ": "l", "ı": "i",
})
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "@": "a",
                       "$": "s", "!": "i", "|": "l", "+": "t"})
_LEET_CHARS = frozenset("0123456789@$!|+")
_LEET_RUN = re.compile(r"[a-zA-Z0-9@$!|+]+")
_RUN = re.compile(r"[A-Za-z0-9+/=_-]{16,}")  # a base64 / base32 candidate: checked in _payload_body
_HEX_RUN = re2.compile(r"\b(?:[0-9a-fA-F]{2}[\s:]?){12,}\b")
_BASE32 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
_BINARY_RUN = re2.compile(r"\b(?:[01]{8}[\s,]?){4,}")  # 8-bit groups
_ESCAPE_RUN = re2.compile(r"(?:\\u[0-9a-fA-F]{4}|\\x[0-9a-fA-F]{2}){4,}")  # \u0041 / \x41 escapes
_ESCAPE = re2.compile(r"\\(?:u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2}))")
_PERCENT = re2.compile(r"%[0-9a-fA-F]{2}")
# Single letters or digits with a separator between each ("s y n t h", "s.y.n.t.h", "s-y-n"), 8 or more.
_SPACED_RUN = re2.compile(r"\b(?:[A-Za-z0-9][ .\-_*|/,'~+]{1,5}){7,}[A-Za-z0-9]\b")
_SPACED_SEP = re.compile(r"[^A-Za-z0-9]+")
_MORSE_RUN = re2.compile(r"(?:[.\-]{1,6}(?: ?/ ?| {1,3})){7,}[.\-]{1,6}")
_MORSE = dict(zip(
    ".- -... -.-. -.. . ..-. --. .... .. .--- -.- .-.. -- -. --- .--. --.- .-. ... - ..- ...- .-- -..- -.-- --.. "
    "----- .---- ..--- ...-- ....- ..... -.... --... ---.. ----.".split(), "abcdefghijklmnopqrstuvwxyz0123456789",
    strict=True))
_LOWER, _UPPER = "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_SHIFTS = [str.maketrans(_LOWER + _UPPER, _LOWER[k:] + _LOWER[:k] + _UPPER[k:] + _UPPER[:k]) for k in range(1, 26)]
_HTML_COMMENT = re2.compile(r"(?s)<!--(.*?)-->")
_TAG = re2.compile(r"</?[a-zA-Z][^>]{0,500}>")
_ATTR_TEXT = re2.compile(r"(?i)\b(?:alt|title|aria-label|content|value)\s*=\s*[\"']([^\"']{4,})[\"']")
_MD_LINK = re2.compile(r"!?\[([^\]]*)\]\(([^)\s]*)(?:\s+\"([^\"]*)\")?\)")
_MD_REF = re2.compile(r"(?m)^\s*\[[^\]]+\]:\s*\S+\s+[\"'(](.+?)[\"')]\s*$")
_SPACES = re.compile(r"[ \t\f\v]+")
_SENTENCE = re.compile(r"[^.!?\n]+[.!?\n]*")  # a sentence and its end marks: character classes, linear
_LETTERS = re.compile(r"[a-z]+")
_THREE_LETTERS = re.compile(r"[A-Za-z]{3}")
_HEX_SEPARATORS = re.compile(r"[\s:]")
_WORDS = frozenset(
    "the and you your ignore previous instructions all system prompt tell how what is are to of a in for "
    "this that with me make write give now from as do not be it on say print reveal secret password "
    "rules above forget disregard act pretend".split())


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


def _common_words(text: str) -> int:
    return sum(w in _WORDS for w in _LETTERS.findall(text.lower()))


def _wordiness(text: str) -> float:
    words = _LETTERS.findall(text.lower())
    return sum(w in _WORDS for w in words) / len(words) if words else 0.0


def _printable(raw: bytes) -> str | None:
    try:
        out = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    ok = sum(c.isprintable() or c.isspace() for c in out)
    return out if out and ok / len(out) > 0.95 and _THREE_LETTERS.search(out) else None


def _decode_base64(run: str) -> str | None:
    padded = run + "=" * (-len(run) % 4)
    for decoder in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            out = _printable(decoder(padded))
        except (binascii.Error, ValueError):
            continue
        if out:
            return out
    return None


def _decode_base32(run: str) -> str | None:
    if not set(run) <= _BASE32:
        return None
    try:
        return _printable(base64.b32decode(run + "=" * (-len(run) % 8)))
    except (binascii.Error, ValueError):
        return None


def _payload_body(run: str) -> tuple[str, int] | None:
    """A run of base64 characters as a payload: at least 16 of them, "=" only as trailing pad characters; with how
    many there were (base64 pads with up to two, base32 with up to six)."""
    body = run.rstrip("=")
    return (body, len(run) - len(body)) if len(body) >= 16 and "=" not in body and len(run) - len(body) <= 6 \
        else None


def decoded_payloads(text: str) -> list[str]:
    """Base64 (or base32), hex, 8-bit binary and \\u / \\x escape runs inside the text that decode to readable text."""
    found = []
    for m in _RUN.finditer(text):
        if (payload := _payload_body(m.group(0))) is None:
            continue
        body, pad = payload
        if (pad <= 2 and (out := _decode_base64(body)) is not None) or (out := _decode_base32(body)) is not None:
            found.append(out)
    for m in _HEX_RUN.finditer(text):
        try:
            out = _printable(bytes.fromhex(_HEX_SEPARATORS.sub("", m.group(0))))
        except ValueError:
            out = None
        if out:
            found.append(out)
    for m in _BINARY_RUN.finditer(text):
        bits = "".join(c for c in m.group(0) if c in "01")
        if out := _printable(int(bits, 2).to_bytes(len(bits) // 8, "big")):
            found.append(out)
    for m in _ESCAPE_RUN.finditer(text):
        if out := _printable(_ESCAPE.sub(lambda e: chr(int(e.group(1) or e.group(2), 16)), m.group(0)).encode(
                "utf-8", "surrogatepass")):
            found.append(out)
    return found


def visible(text: str) -> str:
    """The text without tag characters and supplementary variation selectors: what can carry text no reader sees
    (an engine's answer is passed on without them; emoji keep their usual selectors, a subdivision flag shows as
    a plain black flag)."""
    return text if text.isascii() else _SMUGGLING.sub("", text)


def smuggled(text: str) -> list[str]:
    """Text spelled in invisible characters (runs of 8 or more): tag characters as the ASCII they shadow (printable
    characters, tabs and line ends), variation selectors as the bytes they stand for (UTF-8 text only)."""
    found = []
    for m in _TAG_RUN.finditer(text):
        ascii_text = "".join(chr(ord(c) - 0xE0000) for c in m.group(0)
                             if "\U000e0020" <= c <= "\U000e007e" or c in "\U000e0009\U000e000a\U000e000d")
        if _THREE_LETTERS.search(ascii_text):
            found.append(ascii_text)
    for m in _SELECTOR_RUN.finditer(text):
        raw = bytes(ord(c) - 0xFE00 if c <= "\ufe0f" else ord(c) - 0xE0100 + 16 for c in m.group(0))
        if text_of_bytes := _printable(raw):
            found.append(text_of_bytes)
    return found


def spelled_out(text: str) -> list[str]:
    """Text written one character at a time: letters with a separator between each (the separator seen most often
    within the run joins letters, any other one parts words: "G i v e  m e" -> "Give me"), and Morse code ("/" or a
    wider gap parts words)."""
    found = []
    for m in _SPACED_RUN.finditer(text):
        run = m.group(0)
        seps = _SPACED_SEP.findall(run)
        joiner = max(set(seps), key=seps.count)
        letters = _SPACED_SEP.split(run)
        found.append("".join(c + ("" if sep == joiner else " ") for c, sep in zip(letters, [*seps, ""], strict=True)))
    for m in _MORSE_RUN.finditer(text):
        words = re.split(r" ?/ ?| {2,}", m.group(0))
        found.append(" ".join("".join(_MORSE.get(code, "") for code in word.split()) for word in words))
    return [f for f in found if _THREE_LETTERS.search(f)]


def _shifted(text: str) -> list[str]:
    """Sentences that read as language once their letters are shifted back (a Caesar cipher, any shift): each
    sentence of five or more words with hardly a common word in it, at the shift that gives it the most common words,
    where that makes it read as language (three or more of them, a quarter of its words)."""
    found = []
    for sentence in _SENTENCE.findall(text):
        if len(_LETTERS.findall(sentence.lower())) < 5 or _wordiness(sentence) >= 0.1:
            continue
        hits, best = max((_common_words(shifted := sentence.translate(t)), shifted) for t in _SHIFTS)
        if hits >= 3 and _wordiness(best) >= 0.25:
            found.append(best)
    return found


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
    base_score = _wordiness(base)

    def add(candidate: str, needs_gain: bool = True) -> None:
        candidate = normalize(candidate)
        if candidate and candidate not in out and (not needs_gain or _wordiness(candidate) > base_score + 0.1):
            out.append(candidate)

    for payload in (*smuggled(text), *decoded_payloads(base), *spelled_out(unhidden(text))):
        add(payload, needs_gain=False)
        for inner in decoded_payloads(payload):  # base64 of base64
            add(inner, needs_gain=False)
    if len(_PERCENT.findall(base)) >= 6:  # URL encoding
        add(urllib.parse.unquote(base))
    add(codecs.decode(base, "rot13"))
    if shifted := _shifted(base):
        add(" ".join(shifted), needs_gain=False)
    add(base[::-1])
    # Leetspeak: the sentences with two or more such words ("1gn0r3 4ll ..."; one "k8s" is not leetspeak), read
    # without it, where that reads more like language; the rest of the text is the base view already (technical
    # text full of "int8" and "v1" would otherwise double what is embedded).
    leet = [plain for sentence in _SENTENCE.findall(base) if len(_leet_words(sentence)) >= 2
            and _wordiness(plain := _LEET_RUN.sub(lambda m: _unleet(m.group(0)), sentence))
            > _wordiness(sentence) + 0.1]
    if leet:
        add(" ".join(leet), needs_gain=False)
    # Past `max_views`, the rest are read as one view: decoy payloads cannot push the one that matters out of it.
    return tuple(out) if len(out) <= max_views else (*out[:max_views - 1], "\n".join(out[max_views - 1:]))


def _unleet(word: str) -> str:
    return word.translate(_LEET) if 3 <= len(word) <= 20 and any(c.isalpha() for c in word) else word
