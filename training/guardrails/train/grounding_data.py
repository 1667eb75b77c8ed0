"""(claim, source window, label) pairs for the grounding model, read from the shared data folder.

Sets (label 1 = the window supports the claim):
- BEGIN: (knowledge, response) with "Fully attributable" = 1, "Not fully attributable" = 0 ("Generic" dropped).
- SummEdits: each summary sentence vs the document; in an inconsistent summary the sentences that differ
  from the original summary are 0, in a consistent one all are 1.
- Derived from COVID-QA / PubMedQA: a sentence that holds a true answer vs its passage (1), and the same
  sentence with a swapped number, swapped name, flipped negation or another answer (0), or vs the most
  similar window of a foreign passage (0).
Training windows are picked by word overlap (no CPU spent on embeddings); validation and evaluation windows
are picked exactly as the rail picks them at inference (nearest by embedding cosine).
"""

from __future__ import annotations

import csv
import json
import random
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from guardrails.grounding_model import passage_windows
from guardrails.sentences import split_sentences

FILES = {
    "grounding/begin/begin_dev_cmu.tsv": "CC-BY-4.0 (CMU-DoG)", "grounding/begin/begin_dev_tc.tsv":
    "CDLA-Sharing-1.0 (TopicalChat)", "grounding/begin/begin_dev_wow.tsv": "CC-BY-4.0 (WoW)",
    "grounding/begin/begin_test_wow.tsv": "CC-BY-4.0 (WoW)", "grounding/summedits/summedits_*.json": "Apache-2.0",
    "retrieval/covid_qa/200423_covidQA.json": "Apache-2.0", "retrieval/pubmedqa/ori_pqal.json": "MIT",
}
UNSEEN_SUMMEDITS = ("scitldr", "sales_email")  # whole domains never trained on
SEEN_SUMMEDITS = ("news", "podcast", "sales_call", "samsum", "ectsum", "qmsumm")
_NEGATABLE = re.compile(r"\b(is|are|was|were|can|could|does|do|did|will|may|should|has|have)\b( not)?")
_NUM = re.compile(r"\b\d+(?:,\d{3})*(?:\.\d+)?\b")
_WORD = re.compile(r"[a-z0-9]{3,}")
_NAME = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][A-Za-z0-9-]{2,}\b")


@dataclass(frozen=True)
class Pair:
    claim: str
    window: str
    label: int
    source: str  # e.g. begin, summedits/news, covid_qa/number
    group: str  # pairs of one document share a group (splits never cut a group)
    passage: str = ""  # the whole passage the window was picked from


Picker = Callable[[str, str], str]  # (claim, passage) -> the window the rail would pick


class EmbeddingCache:
    """Every distinct text embedded once; optionally kept in an .npz between runs (training, evaluation)."""

    def __init__(self, embed: Callable[[list[str]], np.ndarray], path: Path | None = None) -> None:
        self._embed, self.path = embed, path
        self.vectors: dict[str, np.ndarray] = {}
        if path is not None and path.exists():
            with np.load(path) as saved:
                self.vectors = dict(zip(saved["texts"].tolist(), saved["vectors"], strict=True))

    def __call__(self, texts: list[str]) -> np.ndarray:
        new = [t for t in dict.fromkeys(texts) if t not in self.vectors]
        if new:
            self.vectors.update(zip(new, self._embed(new), strict=True))
        return np.stack([self.vectors[t] for t in texts])

    def save(self) -> None:
        if self.path is not None and self.vectors:
            np.savez(self.path, texts=np.array(list(self.vectors)), vectors=np.stack(list(self.vectors.values())))


def lexical_picker(claim: str, passage: str) -> str:
    """The window sharing most words with the claim: a CPU-free stand-in for the rail's embedding pick,
    used to build training pairs; evaluation re-picks with embeddings (`repick`), exactly as the rail does."""
    words = set(_WORD.findall(claim.lower()))
    windows = passage_windows(passage)
    overlap = [len(words & set(_WORD.findall(w.lower()))) / (1 + 0.01 * len(w)) for w in windows]
    return windows[int(np.argmax(overlap))]


def repick(pairs: list[Pair], pick: Picker) -> list[Pair]:
    """The same pairs with each window picked again from its passage."""
    return [replace(p, window=pick(p.claim, p.passage)) if p.passage else p for p in pairs]


def embedding_picker(vec: Callable[[list[str]], np.ndarray]) -> Picker:
    """Nearest window by cosine, as the rail picks it."""

    def pick(claim: str, passage: str) -> str:
        windows = passage_windows(passage)
        return windows[int(np.argmax(vec(windows) @ vec([claim])[0]))]

    return pick


def begin(data: Path, pick: Picker) -> list[Pair]:
    out = []
    for path in sorted((data / "grounding/begin").glob("begin_*.tsv")):
        with path.open(encoding="utf-8") as f:
            for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                label = {"Fully attributable": 1, "Not fully attributable": 0}.get(row["begin_label"])
                if label is None or not row["response"].strip():
                    continue
                out.append(Pair(row["response"].strip(), pick(row["response"], row["knowledge"]), label,
                                "begin", "begin:" + row["knowledge"][:80], row["knowledge"]))
    return out


def summedits(data: Path, domains: Iterable[str], pick: Picker) -> list[Pair]:
    out = []
    for domain in domains:
        for row in json.loads((data / f"grounding/summedits/summedits_{domain}.json").read_text()):
            original = set(split_sentences(row.get("original_summary") or ""))
            for sentence in split_sentences(row["summary"]):
                if row["label"] == 1:
                    label = 1
                elif sentence not in original:
                    label = 0
                else:
                    continue  # an unedited sentence of an edited summary: no label of its own
                out.append(Pair(sentence, pick(sentence, row["doc"]), label, f"summedits/{domain}",
                                "summedits:" + row["doc"][:80], row["doc"]))
    return out


def perturbations(sentence: str, rng: random.Random, names: list[str], answers: list[str],
                  answer: str) -> list[tuple[str, str]]:
    """Unsupported variants of a supported sentence: (text, kind)."""
    out = []
    if nums := _NUM.findall(sentence):
        n = rng.choice(nums)
        value = float(n.replace(",", ""))
        new = f"{value * 1.7:.1f}" if "." in n else str(int(value) + rng.choice([1, 2, 3, 5, 10, 20]))
        out.append((re.sub(rf"\b{re.escape(n)}\b", new, sentence, count=1), "number"))
    own = [m.group(0) for m in _NAME.finditer(sentence)]
    foreign = [n for n in names if n not in sentence]
    if own and foreign:
        out.append((sentence.replace(rng.choice(own), rng.choice(foreign), 1), "name"))
    if m := _NEGATABLE.search(sentence):
        flipped = m.group(1) if m.group(2) else m.group(1) + " not"
        out.append((sentence[:m.start()] + flipped + sentence[m.end():], "negation"))
    others = [a for a in answers if a != answer and a.lower() not in sentence.lower()]
    if answer and answer in sentence and others:
        out.append((sentence.replace(answer, rng.choice(others), 1), "answer"))
    return out


def _derived(items: list[tuple[str, str, str, str]], name: str, rng: random.Random, pick: Picker) -> list[Pair]:
    """items: (claim sentence, its passage, the answer span inside it or "", group)."""
    names_by_group: dict[str, list[str]] = {}
    answers_by_group: dict[str, list[str]] = {}
    for _, passage, answer, group in items:
        names_by_group.setdefault(group, []).extend(m.group(0) for m in _NAME.finditer(passage[:3000]))
        if answer:
            answers_by_group.setdefault(group, []).append(answer)
    groups = sorted(names_by_group)
    out = []
    for claim, passage, answer, group in items:
        window = pick(claim, passage)
        out.append(Pair(claim, window, 1, name, group, passage))
        for text, kind in perturbations(claim, rng, sorted(set(names_by_group[group])),
                                        answers_by_group.get(group, []), answer):
            out.append(Pair(text, window, 0, f"{name}/{kind}", group, passage))
        other = rng.choice([g for g in groups if g != group])
        foreign = next(p for _, p, _, g in items if g == other)
        out.append(Pair(claim, pick(claim, foreign), 0, f"{name}/foreign", group, foreign))
    return out


def covid_qa(data: Path, rng: random.Random, pick: Picker, limit: int = 900) -> list[Pair]:
    doc = json.loads((data / "retrieval/covid_qa/200423_covidQA.json").read_text())
    items = []
    for article in doc["data"]:
        for para in article["paragraphs"]:
            context = para["context"]
            for qa in para["qas"]:
                ans = qa["answers"][0]
                start = ans["answer_start"]
                left, right = context.rfind(". ", 0, start) + 2, context.find(". ", start + len(ans["text"]))
                sentence = context[left if left > 1 else 0:right + 1 if right > 0 else None].strip()
                if not 30 <= len(sentence) <= 400:
                    continue
                lo, hi = max(0, start - 400), start + 500  # about the size of a retrieved chunk
                items.append((sentence, context[lo:hi], ans["text"].strip(), f"covid:{para['document_id']}"))
    return _derived(rng.sample(items, min(limit, len(items))), "covid_qa", rng, pick)


def pubmedqa(data: Path, rng: random.Random, pick: Picker, limit: int = 300) -> list[Pair]:
    doc = json.loads((data / "retrieval/pubmedqa/ori_pqal.json").read_text())
    items = []
    for pmid in sorted(doc)[:limit]:
        row = doc[pmid]
        sentences = split_sentences(row["LONG_ANSWER"])
        if sentences and 30 <= len(sentences[0]) <= 400:
            items.append((sentences[0], " ".join(row["CONTEXTS"]), "", f"pubmed:{pmid}"))
    return _derived(items, "pubmedqa", rng, pick)


def split_groups(pairs: list[Pair], rng: random.Random, fractions: tuple[float, ...]) -> list[list[Pair]]:
    """Split by group (no document on both sides), seeded; the remainder is the first part."""
    groups = sorted({p.group for p in pairs})
    rng.shuffle(groups)
    bounds, cut = [], 0.0
    for f in fractions:
        cut += f
        bounds.append(round(len(groups) * cut))
    part_of: dict[str, int] = {}
    for i, g in enumerate(groups):
        part_of[g] = next((k + 1 for k, b in enumerate(bounds) if i < b), 0)
    parts: list[list[Pair]] = [[] for _ in range(len(fractions) + 1)]
    for p in pairs:
        parts[part_of[p.group]].append(p)
    return parts


@dataclass
class GroundingSplit:
    train: list[Pair]
    validation: list[Pair]  # picks the operating threshold
    heldout: list[Pair]  # same sources as train, documents never trained on
    unseen: list[Pair]  # sources never trained on: SummEdits scitldr + sales_email, PubMedQA-derived


def build(data: Path, seed: int = 13, pick: Picker = lexical_picker) -> GroundingSplit:
    rng = random.Random(seed)
    pool = begin(data, pick) + summedits(data, SEEN_SUMMEDITS, pick) + covid_qa(data, rng, pick)
    train, validation, heldout = split_groups(pool, rng, (0.05, 0.15))
    unseen = summedits(data, UNSEEN_SUMMEDITS, pick) + pubmedqa(data, rng, pick)
    return GroundingSplit(train, validation, heldout, unseen)


def for_evaluation(split: GroundingSplit, pick: Picker, limit: int = 1000, seed: int = 13) -> GroundingSplit:
    """Validation and evaluation pairs (a seeded sample of at most `limit` each, to bound the embedding work
    on a 2-core machine) with their windows picked as the rail picks them (embeddings)."""
    rng = random.Random(seed)

    def sample(pairs: list[Pair]) -> list[Pair]:
        return repick(rng.sample(pairs, limit) if len(pairs) > limit else pairs, pick)

    return GroundingSplit(split.train, sample(split.validation), sample(split.heldout), sample(split.unseen))
