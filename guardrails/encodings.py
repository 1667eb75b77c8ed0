"""What decodes to text: the byte encodings a prompt can hide words in (base64 and its kin, hex, bits, escapes,
character codes, URL encoding, uuencode, Braille, invisible characters), each read back (`guardrails.normalize.views`
makes a view of each reading), and whether a text reads as language at all. Letter and word games are in
`guardrails.wordplay`.

Everything here is linear in the text: patterns that are one character class repeated run on `re`, the rest on
RE2 (no backtracking; see guardrails.normalize).
"""

from __future__ import annotations

import base64
import binascii
import re
import urllib.parse
from collections.abc import Callable

import re2

# Invisible characters that spell text: Unicode tag characters (U+E0020-E007E shadow ASCII: "ASCII smuggling"), and
# variation selectors read as one byte each (VS1-16 -> 0-15, VS17-256 -> 16-255: a payload hidden after an emoji).
_TAG_RUN = re.compile("[\U000e0000-\U000e007f]{8,}")
_SELECTOR_RUN = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]{8,}")
_RUN = re.compile(r"[A-Za-z0-9+/=_-]{16,}")  # a base64 / base32 candidate: checked in _payload_body
_HEX_RUN = re2.compile(r"\b(?:[0-9a-fA-F]{2}[\s:]?){12,}\b")
_BASE32 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
_BINARY_RUN = re2.compile(r"\b(?:[01]{8}[\s,]?){4,}")  # 8-bit groups
_ESCAPE_RUN = re2.compile(r"(?:\\u[0-9a-fA-F]{4}|\\x[0-9a-fA-F]{2}){4,}")  # \u0041 / \x41 escapes
_ESCAPE = re2.compile(r"\\(?:u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2}))")
_PERCENT = re2.compile(r"%[0-9a-fA-F]{2}")
# Ascii85 (inside Adobe's "<~ ~>" or not) and Base85 (RFC 1924, Python's b85encode): 20+ characters of their
# alphabets with no space; kept only where the bytes read as text (_printable)
_A85_RUN = re.compile(r"[!-uz]{20,}")
_B85_RUN = re.compile(r"[0-9A-Za-z!#$%&()*+\-;<=>?@^_`{|}~]{20,}")
# Character codes, 8 or more: 0x41 hex, 65 decimal, 101 octal (each separated by spaces, commas or semicolons),
# U+0041 code points; quoted-printable (=41=42...)
_CODES_RUN = re2.compile(r"\b(?:(?:0[xX][0-9a-fA-F]{1,2}|\d{1,3})\b[\s,;]{1,3}){7,}(?:0[xX][0-9a-fA-F]{1,2}|\d{1,3})\b")
_CODE = re.compile(r"0[xX][0-9a-fA-F]{1,2}|\d+")
_POINTS_RUN = re2.compile(r"(?:[Uu]\+[0-9A-Fa-f]{4,5}[\s,;]*){8,}")
_POINT = re.compile(r"[0-9A-Fa-f]{4,5}")
_QP_RUN = re2.compile(r"(?:=[0-9A-F]{2}){8,}")
# base64 wrapped over lines (each line 8+ characters, as mail and PEM wrap it): read as one run
_WRAPPED = re2.compile(r"(?:[A-Za-z0-9+/]{8,}={0,2}[ \t]*\r?\n){1,}[A-Za-z0-9+/]{8,}={0,2}")
_LINE_BREAKS = re.compile(r"\s+")
_UU_BLOCK = re2.compile(r"(?m)(?:^|\s)begin [0-7]{3} [^\n]{1,200}\n((?:[ -`]{2,61}\r?\n)+)")
# Braille letters (Grade 1): the six-dot pattern of a..z
_BRAILLE = str.maketrans({chr(0x2800 + dots): letter for dots, letter in zip(
    (1, 3, 9, 25, 17, 11, 27, 19, 10, 26, 5, 7, 13, 29, 21, 15, 31, 23, 14, 30, 37, 39, 58, 45, 61, 53),
    "abcdefghijklmnopqrstuvwxyz", strict=True)})
_BRAILLE_RUN = re.compile(r"[\u2800-\u28ff][\u2800-\u28ff\s.,!?']{7,}")
LETTERS = re.compile(r"[a-z]+")  # the words of lower-cased text
THREE_LETTERS = re.compile(r"[A-Za-z]{3}")
_HEX_SEPARATORS = re.compile(r"[\s:]")
SENTENCE = re.compile(r"[^.!?\n]+[.!?\n]*")  # a sentence and its end marks: character classes, linear
_WORDS = frozenset(
    "the and you your ignore previous instructions all system prompt tell how what is are to of a in for "
    "this that with me make write give now from as do not be it on say print reveal secret password "
    "rules above forget disregard act pretend".split())


def common_words(text: str) -> int:
    return sum(w in _WORDS for w in LETTERS.findall(text.lower()))


def wordiness(text: str) -> float:
    """The share of the text's words that are common English (or instruction) words: how much it reads as language."""
    words = LETTERS.findall(text.lower())
    return sum(w in _WORDS for w in words) / len(words) if words else 0.0


def _printable(raw: bytes) -> str | None:
    try:
        out = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    ok = sum(c.isprintable() or c.isspace() for c in out)
    return out if out and ok / len(out) > 0.95 and THREE_LETTERS.search(out) else None


def _decoded(decoder: Callable[[bytes], bytes], run: str) -> str | None:
    try:
        return _printable(decoder(run.encode("ascii")))
    except ValueError:  # binascii.Error is a ValueError
        return None


def _decode_base64(run: str) -> str | None:
    padded = run + "=" * (-len(run) % 4)
    return _decoded(base64.b64decode, padded) or _decoded(base64.urlsafe_b64decode, padded)


def _decode_base32(run: str) -> str | None:
    return _decoded(base64.b32decode, run + "=" * (-len(run) % 8)) if set(run) <= _BASE32 else None


def _payload_body(run: str) -> tuple[str, int] | None:
    """A run of base64 characters as a payload: at least 16 of them, "=" only as trailing pad characters; with how
    many there were (base64 pads with up to two, base32 with up to six)."""
    body = run.rstrip("=")
    return (body, len(run) - len(body)) if len(body) >= 16 and "=" not in body and len(run) - len(body) <= 6 \
        else None


def _decode_base85(run: str) -> str | None:
    for decoder in (base64.a85decode, base64.b85decode):
        if _decoded(decoder, run[:20]) is None:  # 16 bytes first: a long run that is no payload stops here
            continue
        for cut in (run, run[:-1]):  # a sentence's end mark may have joined the run
            if out := _decoded(decoder, cut):
                return out
    return None


def _codes(run: str) -> str | None:
    """Character codes as text: all 0x hex, else decimal, else octal; kept where they spell words (spaces between
    letters: a table of scores or counts decodes to printable characters, not to words)."""
    codes = _CODE.findall(run)
    hexadecimal = all(c[:2] in ("0x", "0X") for c in codes)
    for base in (16,) if hexadecimal else (10, 8):
        try:
            values = [int(c, base) for c in codes]
        except ValueError:
            continue
        if all(v < 256 for v in values) and (out := _printable(bytes(values))) and " " in out.strip() \
                and sum(c.isalpha() or c == " " for c in out) >= 0.8 * len(out):
            return out
    return None


def raw_payloads(text: str) -> list[str]:
    """Payloads read from the text as sent, not from its normalized form: Ascii85 / Base85 runs (their alphabets
    hold "<", ">" and "&", which the markup pass would eat) and uuencoded blocks ("begin 644 name" and lines of up to
    61 characters; their spaces are data) that decode to readable text."""
    runs = sorted((m.start(), m.group(0)) for pattern in (_A85_RUN, _B85_RUN) for m in pattern.finditer(text))
    found = [out for run in dict.fromkeys(r for _, r in runs) if (out := _decode_base85(run)) is not None]
    for m in _UU_BLOCK.finditer(text):
        try:
            out = _printable(b"".join(binascii.a2b_uu(line) for line in m.group(1).splitlines() if line != "`"))
        except (binascii.Error, ValueError):
            out = None
        if out:
            found.append(out)
    return found


def decoded_payloads(text: str) -> list[str]:
    """Base64 (or base32, also wrapped over lines), hex, 8-bit binary, \\u / \\x escapes, character codes (0x hex,
    decimal, octal, U+ code points), quoted-printable and Braille runs inside the text that decode to readable text
    (Ascii85, Base85 and uuencode: `raw_payloads`)."""
    found = [out for m in _CODES_RUN.finditer(text) if (out := _codes(m.group(0)))]
    found += [out for m in _POINTS_RUN.finditer(text)
              if (out := _printable("".join(chr(int(p, 16)) for p in _POINT.findall(m.group(0)))
                                    .encode("utf-8", "surrogatepass")))]
    found += [out for m in _QP_RUN.finditer(text) if (out := _printable(bytes.fromhex(m.group(0).replace("=", ""))))]
    found += [out for m in _BRAILLE_RUN.finditer(text) if THREE_LETTERS.search(out := m.group(0).translate(_BRAILLE))]
    text = _WRAPPED.sub(lambda m: _LINE_BREAKS.sub("", m.group(0)), text)  # wrapped base64 read as one run
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


def smuggled(text: str) -> list[str]:
    """Text spelled in invisible characters (runs of 8 or more): tag characters as the ASCII they shadow (printable
    characters, tabs and line ends), variation selectors as the bytes they stand for (UTF-8 text only)."""
    found = []
    for m in _TAG_RUN.finditer(text):
        ascii_text = "".join(chr(ord(c) - 0xE0000) for c in m.group(0)
                             if "\U000e0020" <= c <= "\U000e007e" or c in "\U000e0009\U000e000a\U000e000d")
        if THREE_LETTERS.search(ascii_text):
            found.append(ascii_text)
    for m in _SELECTOR_RUN.finditer(text):
        raw = bytes(ord(c) - 0xFE00 if c <= "\ufe0f" else ord(c) - 0xE0100 + 16 for c in m.group(0))
        if text_of_bytes := _printable(raw):
            found.append(text_of_bytes)
    return found


def percent_decoded(text: str) -> str | None:
    """The text with URL encoding undone, when it has six or more %XX escapes."""
    return urllib.parse.unquote(text) if len(_PERCENT.findall(text)) >= 6 else None
