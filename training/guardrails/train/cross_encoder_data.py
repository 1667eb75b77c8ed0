"""(evidence, claim, label) pairs for the cross-encoder: the grounding split's pairs plus generated ones.

The split is `grounding_data.build` unchanged (same seed, same held-out and unseen documents), so numbers
compare with the logistic model's. Each pair's evidence is the top three sentences of its passage: by word
overlap for training (no CPU spent on embeddings), by embedding cosine for validation and evaluation,
exactly as the rail picks them.

Generated from the passages of training documents only (COVID-QA contexts and SummEdits documents):
- positives: sentence fusion (two or three nearby sentences joined into one) and compression (a sentence
  without its parenthetical or trailing clause), each against evidence holding its source sentences;
- negatives: the same claims with a number, date, name or negation swapped (`grounding_data.perturbations`
  plus dates), with an unsupported clause from another document added, or a sentence of another document;
- word-edited negatives (`word_edited`): supported training claims with one word changed (antonym,
  same-tag substitution from the document, two nouns swapped, a hedge made absolute; `word_edits`).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from guardrails.grounding_cross_encoder import EVIDENCE_SENTENCES, top_evidence
from guardrails.sentences import split_sentences
from training.guardrails.train.grounding_data import _NAME, GroundingSplit, Pair, perturbations

_WORD = re.compile(r"[a-z0-9]{3,}")
_YEAR = re.compile(r"\b(19[5-9]\d|20[0-3]\d)\b")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")
_MONTH = re.compile(r"\b(" + "|".join(_MONTHS) + r")\b")
_PAREN = re.compile(r"\s*\([^()]{2,80}\)")
_LOWER_OK = frozenset("The This That These Those It Its They Their A An In On At For We Our He She His Her".split())
_JOINERS = (", and ", "; ", ", while ", ", and ", ". Also, ")


@dataclass(frozen=True)
class EvidencePair:
    evidence: str
    claim: str
    label: int
    source: str


Evidence = Callable[[str, str], str]  # (claim, passage) -> evidence text


def lexical_evidence(claim: str, passage: str, k: int = EVIDENCE_SENTENCES) -> str:
    """The k passage sentences sharing most words with the claim, in reading order (training's picker)."""
    sentences = split_sentences(passage) or [passage]
    words = set(_WORD.findall(claim.lower()))
    overlap = np.array([len(words & set(_WORD.findall(s.lower()))) / (1 + 0.005 * len(s)) for s in sentences])
    return top_evidence(sentences, overlap, k)


def embedding_evidence(vec: Callable[[list[str]], np.ndarray], k: int = EVIDENCE_SENTENCES) -> Evidence:
    """The k passage sentences nearest the claim by embedding cosine, as the rail picks them."""

    def pick(claim: str, passage: str) -> str:
        sentences = split_sentences(passage) or [passage]
        return top_evidence(sentences, vec(sentences) @ vec([claim])[0], k)

    return pick


def to_evidence(pairs: list[Pair], pick: Evidence) -> list[EvidencePair]:
    return [EvidencePair(pick(p.claim, p.passage) if p.passage else p.window, p.claim, p.label, p.source)
            for p in pairs]


def _lower_first(sentence: str) -> str:
    first = sentence.split(" ", 1)[0]
    return sentence[0].lower() + sentence[1:] if first in _LOWER_OK else sentence


def fuse(sentences: list[str], rng: random.Random) -> str:
    """Two or three sentences as one: `A, and b` / `A; b` (a paraphrase-like positive)."""
    out = sentences[0].rstrip(" .")
    for s in sentences[1:]:
        joiner = rng.choice(_JOINERS)
        out += joiner + (s if joiner.startswith(".") else _lower_first(s)).rstrip(" .")
    return out + "."


def compress(sentence: str) -> str | None:
    """The sentence without parentheticals and without its last comma clause (None when nothing changes)."""
    short = _PAREN.sub("", sentence)
    if "," in short and len(short.split(",")[0].split()) >= 6:
        short = short.split(",")[0].rstrip(" .") + "."
    return short if short != sentence and len(short.split()) >= 5 else None


def swap_date(sentence: str, rng: random.Random) -> str | None:
    if m := _YEAR.search(sentence):
        year = int(m.group(0)) + rng.choice([-3, -2, -1, 1, 2, 4])
        return sentence[:m.start()] + str(year) + sentence[m.end():]
    if m := _MONTH.search(sentence):
        other = rng.choice([x for x in _MONTHS if x != m.group(0)])
        return sentence[:m.start()] + other + sentence[m.end():]
    return None


def add_clause(sentence: str, foreign: str) -> str:
    """An unsupported clause taken from another document, glued on."""
    clause = foreign.rstrip(" .").split(",")[0]
    return sentence.rstrip(" .") + ", and " + _lower_first(clause) + "."


def generated(passages: list[tuple[str, str]], rng: random.Random, count: int) -> list[EvidencePair]:
    """`count` generated pairs (about half positive) from (passage, group) of training documents."""
    names = sorted({m.group(0) for p, _ in passages[:400] for m in _NAME.finditer(p[:2000])})
    out: list[EvidencePair] = []
    while len(out) < count:
        passage, group = rng.choice(passages)
        sentences = [s for s in split_sentences(passage) if 25 <= len(s) <= 260 and s[0].isupper()]
        if len(sentences) < 3:
            continue
        start = rng.randrange(len(sentences) - 1)
        span = sentences[start:start + rng.choice([2, 2, 3])]
        if rng.random() < 0.6:
            claim, kind = fuse(span, rng), "fusion"
        else:
            short = compress(span[0])
            if short is None:
                continue
            claim, kind = short, "compression"
        evidence = lexical_evidence(claim, passage)
        out.append(EvidencePair(evidence, claim, 1, f"generated/{kind}"))
        foreign_passage, foreign_group = rng.choice(passages)
        foreign = [s for s in split_sentences(foreign_passage) if 25 <= len(s) <= 200 and s[0].isupper()]
        negatives = [(t, k) for t, k in perturbations(claim, rng, names, [], "") if k != "answer"]
        if date := swap_date(claim, rng):
            negatives.append((date, "date"))
        if foreign and foreign_group != group:
            negatives.append((add_clause(claim, rng.choice(foreign)), "added_clause"))
            negatives.append((rng.choice(foreign), "foreign_sentence"))
        if negatives:
            text, k = rng.choice(negatives)
            out.append(EvidencePair(evidence, text, 0, f"generated/{k}"))
    return out[:count]


def training_pairs(split: GroundingSplit, rng: random.Random, max_pairs: int,
                   generated_share: float = 0.2, edited_share: float = 0.0) -> list[EvidencePair]:
    """The split's training pairs (lexical evidence) plus generated ones, sampled to `max_pairs` (0 = all);
    `edited_share` adds that share of word-edited negatives (`word_edited`, on their own seeded stream)."""
    base = to_evidence(split.train, lexical_evidence)
    passages = list({p.passage: p.group for p in split.train
                     if p.passage and p.source.startswith(("covid", "summedits"))}.items())
    extra = round(max_pairs * generated_share) if max_pairs else round(len(base) * generated_share)
    gen = generated(passages, rng, extra)
    if max_pairs and len(base) + len(gen) > max_pairs:
        base = _stratified(base, rng, max_pairs - len(gen))
    edited = round((max_pairs or len(base)) * edited_share)
    pairs = base + gen + (word_edited(split.train, random.Random(rng.random()), edited) if edited else [])
    rng.shuffle(pairs)
    return pairs


def word_edited(train: list[Pair], rng: random.Random, count: int) -> list[EvidencePair]:
    """`count` negatives: supported training claims (BEGIN, SummEdits, COVID-QA-derived) with one word edited
    (`word_edits`), against the evidence that supported them; the unedited claim is a positive of the training
    split (of the set too unless `max_pairs` sampled it out)."""
    from training.guardrails.train.word_edits import edits, vocabulary

    supported = [p for p in train if p.label == 1 and p.passage and len(p.claim.split()) >= 5]
    chosen = rng.sample(supported, min(len(supported), round(count * 1.5)))  # some sentences offer no edit
    documents = sorted({p.passage for p in chosen})
    vocab = dict(zip(documents, vocabulary(documents), strict=True))
    evidence = [lexical_evidence(p.claim, p.passage) for p in chosen]
    made = edits([p.claim for p in chosen], evidence, [vocab[p.passage] for p in chosen], rng)
    out = [EvidencePair(ev, edit[0], 0, f"edited/{edit[1]}")
           for ev, edit in zip(evidence, made, strict=True) if edit is not None]
    return out[:count]


def _stratified(pairs: list[EvidencePair], rng: random.Random, size: int,
                summedits_share: float = 0.45) -> list[EvidencePair]:
    """A sample with SummEdits (hard: one-word edits) at up to `summedits_share`, the rest from the others."""
    hard = [p for p in pairs if p.source.startswith("summedits")]
    rest = [p for p in pairs if not p.source.startswith("summedits")]
    hard = rng.sample(hard, min(len(hard), round(size * summedits_share)))
    return hard + rng.sample(rest, max(0, min(len(rest), size - len(hard))))


def balanced_batches(pairs: list[EvidencePair], batch_size: int, rng: random.Random) -> list[list[EvidencePair]]:
    """Batches of half positives, half negatives, as many as `pairs` fills (each class cycled if short)."""
    pos = [p for p in pairs if p.label == 1]
    neg = [p for p in pairs if p.label == 0]
    rng.shuffle(pos)
    rng.shuffle(neg)
    half = batch_size // 2
    steps = len(pairs) // batch_size
    batches = []
    for i in range(steps):
        batch = [pos[(i * half + j) % len(pos)] for j in range(half)]
        batch += [neg[(i * half + j) % len(neg)] for j in range(batch_size - half)]
        rng.shuffle(batch)
        batches.append(batch)
    return batches
