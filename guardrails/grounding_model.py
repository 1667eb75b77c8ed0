"""Output rail: each claim is scored by a trained support model against its best source window.

Per claim: parse its `[n]` markers; take the passages it cites (all retrieved ones when it cites none);
pick the window (a sentence or two adjacent sentences) of those passages nearest to the claim by embedding
cosine (window embeddings are cached per chunk); score (claim, window) with the trained model (a logistic
model over similarity, word/bigram overlap, missing numbers/names and negation mismatch); then the cheap
exact checks (numbers and names must occur in those passages, markers must point at
retrieved passages). A claim is supported only when all of them agree. Errors and an exceeded time budget
raise, so the pipeline fails closed.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from guardrails.claims import Claim, parse_claims
from guardrails.exact import check_facts, unknown_citations
from guardrails.grounding import EmbeddingGroundingRail
from guardrails.sentences import split_sentences
from guardrails.verdict import GroundingResult, OutputRail, SentenceCheck
from index.embedder import Embedder
from index.store import Hit

MODEL_DIR = Path(__file__).parent / "models" / "grounding"
_PAIR_MAX_CHARS = 360


class GroundingTimeout(TimeoutError):
    """The check ran past its budget; the pipeline treats it like any rail error (fail closed)."""


def passage_windows(text: str) -> list[str]:
    """A passage's sentences, plus adjacent pairs short enough to fit the model's input together."""
    sentences = split_sentences(text) or [text.strip() or text]
    pairs = [f"{a} {b}" for a, b in zip(sentences, sentences[1:], strict=False)
             if len(a) + len(b) < _PAIR_MAX_CHARS]
    return sentences + pairs


_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset("the a an and or of to in on at for by with from as is are was were be been it its this that "
                  "these those which who what when where how can will may not no".split())
_NEGATION = frozenset({"not", "no", "never", "none", "cannot", "without", "neither", "nor"})
FEATURES = ("cosine", "word_recall", "bigram_recall", "window_precision", "numbers_missing", "names_missing",
            "negation_mismatch", "claim_words")


def pair_features(claim: str, window: str, cosine: float) -> list[float]:
    """What the support model sees of a (claim, window) pair: similarity, overlap, and exactness signals."""
    cw, ww = _WORD.findall(claim.lower()), _WORD.findall(window.lower())
    content, wset = [w for w in cw if w not in _STOP], set(ww)
    bigrams, wbigrams = set(zip(cw, cw[1:], strict=False)), set(zip(ww, ww[1:], strict=False))
    facts = check_facts(claim, [window])
    missing_numbers = sum(1 for m in facts.missing if m[:1].isdigit() or m[:1] in "+-")
    negated = bool(_NEGATION & set(cw)) != bool(_NEGATION & wset)
    return [cosine,
            sum(w in wset for w in content) / max(len(content), 1),
            len(bigrams & wbigrams) / max(len(bigrams), 1),
            len(set(content) & wset) / max(len(wset - _STOP), 1),
            float(min(missing_numbers, 3)), float(min(len(facts.missing) - missing_numbers, 3)),
            float(negated), float(np.log1p(len(cw)))]


class SupportModel:
    """The trained P(supported | claim, window): a logistic model over `pair_features` (weights in JSON)."""

    def __init__(self, model_dir: Path = MODEL_DIR) -> None:
        self.config = json.loads((model_dir / "grounding.json").read_text())
        if tuple(self.config["features"]) != FEATURES:
            raise ValueError(f"{model_dir}: model was trained on other features; retrain it")
        self.threshold = float(self.config["threshold"])
        self._mean, self._scale = np.array(self.config["mean"]), np.array(self.config["scale"])
        self._weights, self._bias = np.array(self.config["weights"]), float(self.config["bias"])

    def score(self, claims: list[str], windows: list[str], cosines: list[float]) -> np.ndarray:
        if not claims:
            return np.zeros(0, dtype=np.float32)
        x = np.array([pair_features(c, w, s) for c, w, s in zip(claims, windows, cosines, strict=True)])
        logits = ((x - self._mean) / self._scale) @ self._weights + self._bias
        return (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)


@dataclass(frozen=True)
class _Windows:
    texts: list[str]
    vectors: np.ndarray
    hit: np.ndarray  # position of the hit each window comes from


class ModelGroundingRail:
    """Claim-level grounding: embedding-picked window -> trained support score -> exact checks."""

    name = "grounding"

    def __init__(self, embedder: Embedder, model: SupportModel, threshold: float | None = None,
                 budget_s: float = 10.0, cache_size: int = 4096) -> None:
        self._embedder = embedder
        self.model = model
        self.threshold = model.threshold if threshold is None else threshold
        self.budget_s = budget_s
        self._embed_windows = lru_cache(maxsize=cache_size)(self._embed_chunk)

    def _embed_chunk(self, text: str) -> tuple[list[str], np.ndarray]:
        windows = passage_windows(text)
        return windows, self._embedder.embed(windows)

    def _windows(self, hits: list[Hit], positions: list[int]) -> _Windows:
        texts: list[str] = []
        vectors, owner = [], []
        for pos in positions:
            windows, vecs = self._embed_windows(hits[pos].chunk.text)
            texts += windows
            vectors.append(vecs)
            owner += [pos] * len(windows)
        return _Windows(texts, np.concatenate(vectors), np.array(owner))

    def check(self, sentences: list[str], hits: list[Hit]) -> GroundingResult:
        if not sentences:
            return GroundingResult([])
        claims = parse_claims(sentences)
        if not hits:
            return GroundingResult([SentenceCheck(s, False, 0.0, None, reason="no sources retrieved",
                                                  citations=c.citations)
                                    for s, c in zip(sentences, claims, strict=True)])
        started = time.perf_counter()
        claim_vecs = self._embedder.embed([c.text for c in claims])
        picked: list[tuple[int, str, list[int]]] = []  # (hit position, window, positions checked against)
        cosines = []
        for claim, vec in zip(claims, claim_vecs, strict=True):
            positions = [c - 1 for c in claim.citations if 1 <= c <= len(hits)] or list(range(len(hits)))
            windows = self._windows(hits, positions)
            similarity = windows.vectors @ vec
            best = int(np.argmax(similarity))
            picked.append((int(windows.hit[best]), windows.texts[best], positions))
            cosines.append(float(similarity[best]))
        scores = self.model.score([c.text for c in claims], [window for _, window, _ in picked], cosines)
        if time.perf_counter() - started > self.budget_s:
            raise GroundingTimeout(f"grounding check took longer than {self.budget_s}s")
        return GroundingResult([self._verdict(s, c, float(p), pick, hits)
                                for s, c, p, pick in zip(sentences, claims, scores, picked, strict=True)])

    def _verdict(self, sentence: str, claim: Claim, score: float, pick: tuple[int, str, list[int]],
                 hits: list[Hit]) -> SentenceCheck:
        best_hit, _, positions = pick
        reasons = []
        if bad := unknown_citations(claim.citations, len(hits)):
            reasons.append("cites a source that was not retrieved: " + ", ".join(f"[{n}]" for n in bad))
        facts = check_facts(claim.text, [hits[p].chunk.text for p in positions])
        if not facts.ok:
            reasons.append(facts.reason())
            score *= 0.5  # a number or name missing from the cited passages halves the support
        if score < self.threshold:
            reasons.append(f"model support {score:.2f} below {self.threshold:.2f}")
        return SentenceCheck(sentence, not reasons, score, best_hit, reason="; ".join(reasons),
                             citations=claim.citations)


def load_rail(embedder: Embedder, threshold: float | None = None, model_dir: Path = MODEL_DIR,
              budget_s: float = 10.0) -> ModelGroundingRail:
    """The rail with the committed model (loaded once per process, in the lifespan)."""
    return ModelGroundingRail(embedder, SupportModel(model_dir), threshold, budget_s)


def make_output_rail(kind: str, embedder: Embedder, embedding_threshold: float,
                     model_threshold: float | None, budget_s: float) -> OutputRail:
    """`model` (the trained rail, default) or `embedding` (the skeleton's cosine baseline)."""
    if kind == "embedding":
        return EmbeddingGroundingRail(embedder, embedding_threshold)
    return load_rail(embedder, model_threshold, budget_s=budget_s)
