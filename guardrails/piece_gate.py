"""Piece gates: a logistic model over the mean token state of one piece of a text, read in its text's context from a
pass the caller makes anyway. Two are committed: the prompt scorer's focus gate (`FOCUS_GATE`: which sentences of a
long prompt the harm encoder reads, from the int8 windows' pass; `training.guardrails.train.focus_gate`) and the
document rail's (`DEFAULT_GATE`: which pieces of a chunk need no scan, from the index pass's own fp32 states).

For the document rail: `index build` embeds every chunk in fp32 anyway; the mean of those token states over one
piece (a sentence or a few short ones, as the rail cuts them) is that piece read in its chunk's context. A logistic
model over it, trained to predict the rail's own piece score (models/guardrails/README.md,
`training.guardrails.train.document_gate`), clears the pieces it finds far below any block: they are not embedded
again by the scan. Every other piece, and every title, is scanned as before. At request time there are no states, so
nothing is cleared: the gateway's own scan of a chunk is never laxer than the index's.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from guardrails.sentences import split_sentences

PIECE_WORDS = 60
DEFAULT_GATE = Path(__file__).resolve().parents[1] / "models" / "guardrails" / "document_gate.json"
FOCUS_GATE = DEFAULT_GATE.parent / "harm" / "focus_gate.json"


def piece_spans(text: str, max_words: int = PIECE_WORDS) -> list[tuple[str, int, int]]:
    """The rail's pieces (sentences, short neighbours merged up to `max_words // 2` words) with the character
    span each covers in `text` (from its first sentence's start to its last one's end)."""
    out: list[tuple[str, int, int]] = []
    cursor = 0
    for sentence in split_sentences(text):
        start = text.find(sentence, cursor)
        start = cursor if start < 0 else start
        end = cursor = start + len(sentence)
        if out and len(out[-1][0].split()) + len(sentence.split()) <= max_words // 2:
            out[-1] = (out[-1][0] + " " + sentence, out[-1][1], end)
        else:
            out.append((sentence, start, end))
    return out or [(text, 0, len(text))]


@dataclass(frozen=True)
class PieceGate:
    """p(the piece could matter) = sigmoid(w . state + b); pieces below `cut` are cleared."""

    weights: np.ndarray
    bias: float
    cut: float
    model: str  # the embedder whose token states it reads
    int8: bool = False  # its int8 pass (the prompt scorer's first pass), else its fp32 pass (the index's)

    @classmethod
    def load(cls, path: Path = DEFAULT_GATE) -> PieceGate | None:
        """The committed gate, or None when there is none (then every piece is scanned)."""
        if not path.exists():
            return None
        raw = json.loads(path.read_text())
        return cls(np.asarray(raw["weights"], np.float32), float(raw["bias"]), float(raw["cut"]), raw["model"],
                   bool(raw.get("int8", False)))

    def save(self, path: Path, card: dict[str, object]) -> None:
        """Write the gate as `load` reads it, with its training report (`card`)."""
        raw = {"model": self.model, **({"int8": True} if self.int8 else {}), "cut": self.cut, "bias": self.bias,
               "weights": [round(float(w), 6) for w in self.weights], "card": card}
        path.write_text(json.dumps(raw, indent=1) + "\n")

    @property
    def identity(self) -> str:
        named = [self.bias, self.cut, self.model] + (["int8"] if self.int8 else [])
        digest = hashlib.sha256(self.weights.tobytes() + json.dumps(named).encode())
        return digest.hexdigest()[:16]

    def reads(self, embedder: object) -> bool:
        """Whether `embedder`'s pass gives this gate its states (ONNX of the same model, int8 or fp32 as trained)."""
        return (getattr(embedder, "name", None) == self.model and getattr(embedder, "int8", None) is self.int8
                and callable(getattr(embedder, "embed_spans", None)))

    @staticmethod
    def spans(text: str) -> list[tuple[int, int]]:
        return [(start, end) for _, start, end in piece_spans(text)]

    def scores(self, pooled: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(pooled @ self.weights + self.bias)))

    def cleared(self, pooled: np.ndarray) -> frozenset[int]:
        """Indexes of the pieces that need no scan (a piece with no state of its own is never cleared)."""
        known = np.abs(pooled).sum(axis=1) > 0
        return frozenset(int(i) for i in np.flatnonzero(known & (self.scores(pooled) < self.cut)))
