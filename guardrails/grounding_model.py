"""Output rail: each claim is scored by a cascade of two trained support models against its sources.

Per claim: parse its `[n]` markers; a refusal ("I do not know: the sources do not say.") or a fragment of
markers only gets the verdict `refusal` and is not checked. Otherwise take the passages it cites (all
retrieved ones when it cites none); pick the window (a sentence or two adjacent sentences) of those passages
nearest to the claim by embedding cosine (window embeddings are cached per chunk); score (claim, window)
with the cheap model (a logistic model over similarity, word/bigram overlap, missing numbers/names and
negation mismatch), halved when a number or name of the claim is in none of those passages. A cheap score
at or above the cascade's upper cut is supported, one below its lower cut unsupported; in between, the
cross-encoder (`grounding_cross_encoder`) reads the claim with its evidence (the three sentences of those
passages nearest to it, in reading order) and decides at the rail's threshold. Markers must point at
retrieved passages. Errors and an exceeded time budget raise, so the pipeline fails closed.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from guardrails.base import OutputRail
from guardrails.claims import Claim, is_citation_only, is_refusal, parse_claims
from guardrails.exact import ExactResult, check_facts, unknown_citations
from guardrails.grounding import EmbeddingGroundingRail
from guardrails.grounding_cross_encoder import ONNX_FILE, CrossEncoder, top_evidence
from guardrails.sentences import split_sentences
from guardrails.verdict import GroundingResult, SentenceCheck
from index.base import Embedder, Hit
from models import MODELS_DIR

MODEL_DIR = MODELS_DIR / "guardrails" / "grounding"
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


def verbatim(claim: str, window: str) -> bool:
    """Every word and every adjacent word pair of the claim occurs in the window (an extractive claim)."""
    cw, ww = _WORD.findall(claim.lower()), _WORD.findall(window.lower())
    return bool(cw) and set(cw) <= set(ww) and set(zip(cw, cw[1:], strict=False)) <= set(zip(ww, ww[1:], strict=False))


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
class Cascade:
    """When the cross-encoder is asked: cheap scores in [low, high); it decides at `threshold`."""

    low: float
    high: float
    threshold: float

    @classmethod
    def load(cls, model_dir: Path) -> Cascade | None:
        path = model_dir / "cascade.json"
        if not (path.exists() and (model_dir / ONNX_FILE).exists()):
            return None
        c = json.loads(path.read_text())
        return cls(float(c["low"]), float(c["high"]), float(c["threshold"]))


@dataclass(frozen=True)
class _Windows:
    texts: list[str]
    vectors: np.ndarray
    hit: np.ndarray  # position of the hit each window comes from
    sentence: np.ndarray  # whether the window is one sentence (not a pair)


class ModelGroundingRail:
    """Claim-level grounding: embedding-picked window -> cheap support score -> cross-encoder when unsure."""

    name = "grounding"

    def __init__(self, embedder: Embedder, model: SupportModel, threshold: float | None = None,
                 budget_s: float = 10.0, cache_size: int = 4096, cross_encoder: CrossEncoder | None = None,
                 cascade: Cascade | None = None) -> None:
        self._embedder = embedder
        self.model = model
        both = cross_encoder is not None and cascade is not None
        self.cross_encoder: CrossEncoder | None = cross_encoder if both else None
        self.cascade: Cascade | None = cascade if both else None
        default = self.cascade.threshold if self.cascade else model.threshold
        self.threshold = default if threshold is None else threshold
        self.budget_s = budget_s
        self._embed_windows = lru_cache(maxsize=cache_size)(self._embed_chunk)

    def _embed_chunk(self, text: str) -> tuple[list[str], np.ndarray, int]:
        windows = passage_windows(text)
        return windows, self._embedder.embed(windows), len(split_sentences(text) or [text.strip() or text])

    def _windows(self, hits: list[Hit], positions: list[int]) -> _Windows:
        texts: list[str] = []
        vectors, owner, sentence = [], [], []
        for pos in positions:
            windows, vecs, count = self._embed_windows(hits[pos].chunk.text)
            texts += windows
            vectors.append(vecs)
            owner += [pos] * len(windows)
            sentence += [i < count for i in range(len(windows))]
        return _Windows(texts, np.concatenate(vectors), np.array(owner), np.array(sentence))

    def check(self, sentences: list[str], hits: list[Hit]) -> GroundingResult:
        if not sentences:
            return GroundingResult([])
        claims = parse_claims(sentences)
        checked = [i for i, c in enumerate(claims) if not (is_refusal(c) or is_citation_only(c))]
        verdicts: dict[int, SentenceCheck] = {
            i: SentenceCheck(s, True, 1.0, None, reason="a refusal or a citation, not a claim",
                             citations=c.citations, verdict="refusal")
            for i, (s, c) in enumerate(zip(sentences, claims, strict=True)) if i not in set(checked)}
        if not hits:
            verdicts |= {i: SentenceCheck(sentences[i], False, 0.0, None, reason="no sources retrieved",
                                          citations=claims[i].citations) for i in checked}
        elif checked:
            started = time.perf_counter()
            verdicts |= dict(zip(checked, self._check([sentences[i] for i in checked],
                                                      [claims[i] for i in checked], hits), strict=True))
            if time.perf_counter() - started > self.budget_s:
                raise GroundingTimeout(f"grounding check took longer than {self.budget_s}s")
        return GroundingResult([verdicts[i] for i in range(len(sentences))])

    def _check(self, sentences: list[str], claims: list[Claim], hits: list[Hit]) -> list[SentenceCheck]:
        claim_vecs = self._embedder.embed([c.text for c in claims])
        picked: list[tuple[int, str, list[int]]] = []  # (hit position, window, positions checked against)
        cosines, evidence = [], []
        for claim, vec in zip(claims, claim_vecs, strict=True):
            positions = [c - 1 for c in claim.citations if 1 <= c <= len(hits)] or list(range(len(hits)))
            windows = self._windows(hits, positions)
            similarity = windows.vectors @ vec
            best = int(np.argmax(similarity))
            picked.append((int(windows.hit[best]), windows.texts[best], positions))
            cosines.append(float(similarity[best]))
            ones = np.flatnonzero(windows.sentence)
            evidence.append(top_evidence([windows.texts[i] for i in ones], similarity[ones]))
        cheap = self.model.score([c.text for c in claims], [window for _, window, _ in picked], cosines)
        facts = [check_facts(c.text, [hits[p].chunk.text for p in positions])
                 for c, (_, _, positions) in zip(claims, picked, strict=True)]
        cheap = np.array([float(s) * (1.0 if f.ok else 0.5) for s, f in zip(cheap, facts, strict=True)])
        final, deciders = cheap.copy(), ["model"] * len(claims)
        if self.cross_encoder is not None and self.cascade is not None:
            for i, (claim, (_, window, _)) in enumerate(zip(claims, picked, strict=True)):
                if facts[i].ok and verbatim(claim.text, window):
                    final[i] = max(final[i], self.cascade.high)  # every word and word pair is in the source
            # a missing number or name fails the claim whatever its support: no cross-encoder for it
            unsure = [i for i, s in enumerate(final) if facts[i].ok and self.cascade.low <= s < self.cascade.high]
            if unsure:
                ce = self.cross_encoder.score([evidence[i] for i in unsure], [claims[i].text for i in unsure])
                for i, score in zip(unsure, ce, strict=True):
                    final[i] = score * (1.0 if facts[i].ok else 0.5)
                    deciders[i] = "cross-encoder"
        return [self._verdict(s, c, float(p), d, f, pick, len(hits))
                for s, c, p, d, f, pick in zip(sentences, claims, final, deciders, facts, picked, strict=True)]

    def _cut(self, decider: str) -> float:
        """The threshold a score is held to: the cascade's cut for cheap decisions, the rail's otherwise."""
        if self.cascade is None or decider == "cross-encoder":
            return self.threshold
        return self.cascade.high

    def _verdict(self, sentence: str, claim: Claim, score: float, decider: str, facts: ExactResult,
                 pick: tuple[int, str, list[int]], retrieved: int) -> SentenceCheck:
        reasons = []
        if bad := unknown_citations(claim.citations, retrieved):
            reasons.append("cites a source that was not retrieved: " + ", ".join(f"[{n}]" for n in bad))
        if not facts.ok:
            reasons.append(facts.reason())
        if score < (cut := self._cut(decider)):
            reasons.append(f"{decider} support {score:.2f} below {cut:.2f}")
        return SentenceCheck(sentence, not reasons, score, pick[0], reason="; ".join(reasons),
                             citations=claim.citations)


def load_rail(embedder: Embedder, threshold: float | None = None, model_dir: Path = MODEL_DIR,
              budget_s: float = 10.0, cross_encoder: bool = True) -> ModelGroundingRail:
    """The rail with the committed models (loaded once per process, in the lifespan); the cheap model alone
    when `cross_encoder` is off or its files are absent."""
    cascade = Cascade.load(model_dir) if cross_encoder else None
    scorer = CrossEncoder(model_dir / ONNX_FILE) if cascade else None
    return ModelGroundingRail(embedder, SupportModel(model_dir), threshold, budget_s, cross_encoder=scorer,
                              cascade=cascade)


def make_output_rail(kind: str, embedder: Embedder, embedding_threshold: float,
                     model_threshold: float | None, budget_s: float) -> OutputRail:
    """`model` (the trained rail, default) or `embedding` (the skeleton's cosine baseline)."""
    if kind == "embedding":
        return EmbeddingGroundingRail(embedder, embedding_threshold)
    return load_rail(embedder, model_threshold, budget_s=budget_s)
