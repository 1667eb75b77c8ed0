"""Learned input rails: a small softmax head on frozen sentence embeddings (injection, harmful).

One `PromptScorer` embeds every view (see guardrails.normalize) and every overlapping window of the
prompt, scores each with the head and keeps the maximum per class, so a long role-play with the
attack at the end, or an attack hidden in base64, is still seen. Two rails read the same scores.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from guardrails.normalize import views
from guardrails.verdict import Outcome, Verdict
from index.embedder import Embedder

DEFAULT_HEAD = Path(__file__).resolve().parent / "models" / "input_head.npz"
DEFAULT_HEAD_INT8 = DEFAULT_HEAD.with_name("input_head_int8.npz")  # trained on int8 ONNX prompt vectors


# Cascade: an int8 prompt whose "unsafe" score (1 - p(benign), fp32 head) is below this passes on the int8 pass
# alone. On 2,500 training prompts the lowest int8 score of a prompt the fp32 rails block was 0.58 and int8 and
# fp32 scores differed by 0.22 at most, so 0.3 keeps every fp32 block while ~84% of benign prompts pass fast.
FAST_CUT = 0.3


def head_path(int8: bool) -> Path:
    """The committed head that matches the prompt embedder: trained on int8 or on fp32 vectors."""
    return DEFAULT_HEAD_INT8 if int8 else DEFAULT_HEAD


# label -> description; the label of the nearest description names a harmful prompt's category.
DEFAULT_TAXONOMY: dict[str, str] = {
    "weapons": "making bombs, explosives, guns, poisons or chemical and biological weapons",
    "malware": "writing malware, viruses, ransomware, exploits, hacking into computers or networks",
    "self_harm": "suicide, self-harm, eating disorders, hurting yourself",
    "violence": "killing, assaulting, torturing or threatening people, terrorism",
    "fraud": "scams, phishing, identity theft, fraud, stealing money, counterfeiting",
    "drugs": "making, buying or smuggling illegal drugs",
    "hate": "hate speech, harassment, discrimination against a group, extremist propaganda",
    "sexual": "sexual content involving minors or non-consensual sexual content",
    "misinformation": "fake news, disinformation, propaganda, election manipulation",
    "privacy": "stalking, doxxing, spying on people, collecting personal data without consent",
}


def windows(text: str, size: int = 128, stride: int = 96, max_windows: int = 64) -> list[str]:
    """Overlapping word windows small enough for the embedder's 256-token limit, covering all text."""
    words = text.split()
    if len(words) <= size:
        return [text]
    stride = max(stride, math.ceil((len(words) - size) / (max_windows - 1)))
    size = max(size, stride)  # never leave a gap, even at the window cap
    starts = list(range(0, len(words) - size + 1, stride))
    if starts[-1] + size < len(words):
        starts.append(len(words) - size)
    return [" ".join(words[s:s + size]) for s in starts]


@dataclass(frozen=True)
class Head:
    """Softmax over classes: logistic regression (probs = softmax(x @ W.T + b)), or with one ReLU layer first."""

    weights: np.ndarray  # (classes, hidden or dim)
    bias: np.ndarray  # (classes,)
    classes: tuple[str, ...]
    thresholds: dict[str, float]
    hidden_weights: np.ndarray | None = None  # (dim, hidden) for the one-hidden-layer variant
    hidden_bias: np.ndarray | None = None

    @classmethod
    def load(cls, path: Path | str = DEFAULT_HEAD) -> Head:
        with np.load(path, allow_pickle=False) as z:
            classes = tuple(str(c) for c in z["classes"])
            thresholds = {str(c): float(t) for c, t in zip(z["threshold_classes"], z["thresholds"], strict=True)}
            hidden = (z["hidden_weights"].astype(np.float32), z["hidden_bias"].astype(np.float32)) \
                if "hidden_weights" in z.files else (None, None)
            return cls(z["weights"].astype(np.float32), z["bias"].astype(np.float32), classes, thresholds, *hidden)

    def probs(self, vecs: np.ndarray) -> np.ndarray:
        if self.hidden_weights is not None:
            vecs = np.maximum(vecs @ self.hidden_weights + self.hidden_bias, 0.0)
        logits = vecs @ self.weights.T + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        return e / e.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class Scores:
    """Max probability per class over all views and windows, and the vector that gave it."""

    probs: dict[str, float]
    vectors: dict[str, np.ndarray]
    pieces: int
    unsafe: float = 0.0  # max over pieces of 1 - p(benign)
    dominant: str = ""  # the attack class with more mass on that piece
    rechecked: bool = False  # cascade: decided on the precise (fp32) vectors


class PromptScorer:
    """Embeds views x windows of a prompt (reusing a vector the pipeline already has) and scores them.

    With `precise` (the cascade): prompts are embedded by the fast `embedder` (int8) and scored by the head of
    `precise` (fp32); a prompt the fast pass does not find clearly benign (unsafe >= `fast_cut`) is embedded
    again by `precise` and decided on those vectors alone, so every block is an fp32 decision.
    """

    def __init__(self, embedder: Embedder, head: Head | None = None, cache_size: int = 32,
                 precise: Embedder | None = None, fast_cut: float | None = None) -> None:
        self.embedder = embedder
        self.precise = precise
        self.fast_cut = FAST_CUT if fast_cut is None else fast_cut
        self.head = head or Head.load(head_path((precise or embedder).int8))  # trained on this kind of vector
        self._cache: OrderedDict[str, Scores] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    @staticmethod
    def pieces_of(text: str) -> list[str]:
        """Every window of every view of the text, in order, without repeats."""
        return list(dict.fromkeys(w for view in views(text) for w in windows(view)))

    def score(self, text: str, vector: np.ndarray | None = None) -> Scores:
        with self._lock:
            if (hit := self._cache.get(text)) is not None:
                self._cache.move_to_end(text)
                return hit
        result = self._score(self.embedder, text, vector)
        if self.precise is not None and result.unsafe >= self.fast_cut:
            result = replace(self._score(self.precise, text, None), rechecked=True)
        with self._lock:
            self._cache[text] = result
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return result

    def _score(self, embedder: Embedder, text: str, vector: np.ndarray | None) -> Scores:
        pieces = self.pieces_of(text)
        known: list[np.ndarray] = []
        if vector is not None and pieces[0] == text and len(text.split()) <= 128:
            known, pieces = [np.asarray(vector, dtype=np.float32)], pieces[1:]  # the shared prompt vector
        dim = self.head.weights.shape[1] if self.head.hidden_weights is None else self.head.hidden_weights.shape[0]
        embedded = embedder.embed(pieces) if pieces else np.zeros((0, dim), np.float32)
        vecs = np.vstack([*known, embedded]) if known else embedded
        probs = self.head.probs(vecs)
        best = probs.argmax(axis=0)
        classes = self.head.classes
        worst = int(np.argmax(1.0 - probs[:, 0]))  # classes[0] is benign
        dominant = classes[1 + int(np.argmax(probs[worst, 1:]))]
        vectors = {c: vecs[best[i]] for i, c in enumerate(classes)}
        if probs[worst, classes.index(dominant)] >= probs[best[classes.index(dominant)], classes.index(dominant)]:
            vectors[dominant] = vecs[worst]
        return Scores({c: float(probs[best[i], i]) for i, c in enumerate(classes)}, vectors, len(vecs),
                      float(1.0 - probs[worst, 0]), dominant)


class _HeadRail:
    label = ""
    name = ""

    def __init__(self, scorer: PromptScorer, threshold: float | None = None,
                 flag_threshold: float | None = None) -> None:
        self.scorer = scorer
        self.threshold = scorer.head.thresholds.get(self.label, 0.5) if threshold is None else threshold
        self.flag_threshold = flag_threshold
        # A prompt that is clearly not benign but splits its mass between the two attack classes
        # ("write ransomware": injection-like and harmful) is blocked by the rail of the larger class.
        self.unsafe_threshold = scorer.head.thresholds.get("unsafe", 1.01)

    def check(self, text: str) -> Verdict:
        return self.check_vector(None, text)

    def check_vector(self, vector: np.ndarray | None, text: str) -> Verdict:
        """Like check, reusing the prompt's embedding when the pipeline already computed it."""
        started = time.perf_counter()
        scores = self.scorer.score(text, vector)
        p = scores.probs[self.label]
        if scores.dominant == self.label and scores.unsafe >= self.unsafe_threshold:
            outcome, reason, p = Outcome.BLOCK, self.explain(scores), max(p, scores.unsafe)
        elif p >= self.threshold:
            outcome, reason = Outcome.BLOCK, self.explain(scores)
        elif self.flag_threshold is not None and p >= self.flag_threshold:
            outcome, reason = Outcome.FLAG, self.explain(scores)
        else:
            outcome, reason = Outcome.PASS, f"no {self.label} signal above the threshold"
        return Verdict(self.name, outcome, round(p, 4), reason, time.perf_counter() - started)

    def explain(self, scores: Scores) -> str:
        """A reason clients may see: what was found, never the classifier's internals (the score is separate)."""
        return "prompt injection or jailbreak attempt"


class InjectionClassifierRail(_HeadRail):
    """Blocks prompt injection and jailbreak attempts the rules miss."""

    label = "injection"
    name = "injection_classifier"


class HarmfulRail(_HeadRail):
    """Blocks requests for seriously harmful help; the reason names the nearest taxonomy category."""

    label = "harmful"
    name = "harmful"

    def __init__(self, scorer: PromptScorer, threshold: float | None = None, flag_threshold: float | None = None,
                 taxonomy: dict[str, str] | None = None) -> None:
        super().__init__(scorer, threshold, flag_threshold)
        self.taxonomy = dict(taxonomy or DEFAULT_TAXONOMY)
        self._labels = list(self.taxonomy)
        self._topic_vecs = scorer.embedder.embed(list(self.taxonomy.values()))

    def category(self, vector: np.ndarray) -> str:
        return self._labels[int(np.argmax(self._topic_vecs @ vector))]

    def explain(self, scores: Scores) -> str:
        return f"request for harmful help ({self.category(scores.vectors[self.label])})"
