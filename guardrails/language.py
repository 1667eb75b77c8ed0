"""Language rail: text in a language the input rails cannot read is refused, not waved through.

Every learned rail (the MiniLM head, the harm encoder) and every rule was trained on English. A request in another
language reaches them as word pieces they were never taught, and a request translated into another language is a
known way around a safety check. On deepset's non-English prompts (`../shared/data`) the English stack blocks 42 of
88 injections, against 113 of 175 English ones. So each piece of the prompt is identified (py3langid, langid.py's
model: 140 labels, a fraction of a millisecond a piece): every line and sentence, every `WINDOW_WORDS`-word window
of a longer sentence (a foreign clause glued to an English one without a stop), of the text as shown and of each
view (guardrails.normalize.views: folded look-alikes, decoded payloads). A piece in a language outside
RAGGUARD_INPUT_LANGUAGES (default: English) blocks the request, so one foreign sentence padded with English is
caught too.

A piece is foreign when
- most of its letters (at least `MIN_SCRIPT_LETTERS`) are of a script other than Latin (Cyrillic, Greek, Arabic,
  Han, Kana, Hangul, Devanagari, ...): English is not written in it, whatever the model says; or
- it is Latin-script prose (at least `MIN_LETTERS` letters in `MIN_WORDS` words) whose most likely language is not
  an accepted one with probability >= `MIN_CONFIDENCE`. Shorter fragments are not judged (the model is noise on a
  name), nor text the model calls no language at all (`zxx`: URLs, code, base64). A view's pieces that lean to a
  language not accepted, each below `MIN_CONFIDENCE`, are judged again joined (two short Spanish sentences).

Measured on English from `../shared/data` and this repository (~40,000 sentences, lines and windows of PubMedQA and
COVID-QA articles, XSTest, TruthfulQA, AdvBench, StrongREJECT, docs/, our own code): what it judged foreign were
foreign titles and names inside English articles (a German reference title, a French society's name); every
question and request passed. Card: models/guardrails/README.md, "Language rail".
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from functools import lru_cache

import re2

from guardrails.normalize import unhidden, views
from guardrails.verdict import Outcome, Verdict

MIN_LETTERS = 12  # a Latin-script piece is judged from this many letters ...
MIN_WORDS = 3  # ... in this many words (of two letters or more)
MIN_SCRIPT_LETTERS = 4  # a piece mostly in another script is foreign from this many of its letters
MIN_CONFIDENCE = 0.9  # a Latin-script piece's language must be this likely to block
WINDOW_WORDS = 8  # a longer sentence is judged in windows of this many words as well
NO_LANGUAGE = "zxx"  # the model's label for text with no linguistic content
# labels the model gives text that an accepted language's rails read as well. English: Nigerian Pidgin (English-
# lexified; the model's label for English prose about Nigeria, "Eye Foundation, Lagos, Nigeria two (16.7%)") and
# Latin (its label for a window of medical terms, "impetigo contagiosum (IC), molluscum contagiosum")
VARIETIES = {"en": frozenset({"pcm", "la"})}

_LETTER = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"[^\W\d_]{2,}")
_PIECE_END = re2.compile(r"[.!?。！？;；]+[\"')\]」』]*\s+|\n+")  # a sentence or line ends; RE2: linear on "." * 8000


@lru_cache(maxsize=1)
def _identifier():  # type: ignore[no-untyped-def]
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def unknown_languages(codes: Iterable[str]) -> list[str]:
    """The codes among `codes` that the identifier does not know (ISO 639-1 codes; loads its model once)."""
    return sorted(set(codes) - frozenset(_identifier().nb_classes))


def _latin(letter: str) -> bool:
    return letter < "\u0250" or "\u1e00" <= letter <= "\u1eff"  # Basic Latin to IPA, Latin Extended Additional


def _pieces(text: str) -> Iterable[str]:
    """Each line and sentence, and for one of more than `WINDOW_WORDS` words its windows of that many words too (half
    overlapping): a foreign clause glued to an English sentence without a stop is a window of its own."""
    start = 0
    for m in (*_PIECE_END.finditer(text), None):
        sentence = text[start:m.start() if m else len(text)]
        yield sentence
        if len(words := sentence.split()) > WINDOW_WORDS:
            step = WINDOW_WORDS // 2
            yield from (" ".join(words[i:i + WINDOW_WORDS]) for i in range(0, len(words) - step, step))
        start = m.end() if m else start


class LanguageRail:
    """Blocks a prompt holding prose in a language outside `accepted` (ISO 639-1 codes)."""

    name = "language"

    def __init__(self, accepted: Sequence[str] = ("en",)) -> None:
        unknown = unknown_languages(accepted)
        if unknown or not accepted:
            raise ValueError(f"the language rail needs known ISO 639-1 codes (e.g. en), not {unknown or 'none'}")
        self.languages = sorted(set(accepted))
        self.accepted = frozenset(accepted).union(*(VARIETIES.get(a, ()) for a in accepted))

    def check(self, text: str, vector: object = None) -> Verdict:
        started = time.perf_counter()
        found = self.foreign(text)
        seconds = time.perf_counter() - started
        if found is None:
            return Verdict(self.name, Outcome.PASS, 0.0, "no text in a language the rails do not read", seconds)
        language, p = found
        return Verdict(self.name, Outcome.BLOCK, round(p, 4),
                       f"text in a language the input rails do not check ({language}); they check "
                       f"{', '.join(self.languages)} (RAGGUARD_INPUT_LANGUAGES)", seconds)

    def foreign(self, text: str) -> tuple[str, float] | None:
        """(language, probability) of the first foreign piece of the text as shown (letters not folded: a Cyrillic
        sentence folded half to Latin reads as no language) or of any view (folded: look-alike letters cannot hide a
        Latin-script language; decoded payloads), or None. Each distinct piece is judged once; a view's pieces that
        lean to a language not accepted without reaching `MIN_CONFIDENCE` alone are judged again together."""
        seen: set[str] = set()
        for view in (unhidden(text), *views(text)):
            leaning: list[str] = []
            for piece in _pieces(view):
                if piece in seen:
                    continue
                seen.add(piece)
                language, p = self._judge(piece)
                if language and p >= MIN_CONFIDENCE:
                    return language, p
                if language:
                    leaning.append(piece)
            if len(leaning) > 1 and (found := self._judge(" ".join(leaning)))[0] and found[1] >= MIN_CONFIDENCE:
                return found
        return None

    def _judge(self, piece: str) -> tuple[str, float]:
        """("", 0) for a piece in an accepted language, too short to judge, or of no language; else its most likely
        language and how likely (any probability for a piece mostly in another script: that alone decides)."""
        letters = _LETTER.findall(piece)
        other = sum(not _latin(c) for c in letters)
        if other >= MIN_SCRIPT_LETTERS and 2 * other >= len(letters):
            language, _ = _identifier().classify(piece)
            return ("", 0.0) if language in self.accepted else (language, 1.0)
        if len(letters) - other < MIN_LETTERS or len(_WORD.findall(piece)) < MIN_WORDS:
            return "", 0.0
        language, p = _identifier().classify(piece)
        return ("", 0.0) if language in self.accepted or language == NO_LANGUAGE else (language, float(p))
