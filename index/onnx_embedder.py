"""The same sentence-transformers model run by ONNX Runtime: no torch on the hot path, int8 when asked.

The ONNX graph is exported once from the packaged model (no download) into the cache dir and reused; the
int8 copy is ONNX Runtime's dynamic quantization of it with per-channel int8 weights. Mean pooling and L2
normalization match the model's own sentence-transformers pipeline (all-MiniLM-L6-v2), so fp32 vectors agree
with the torch embedder's to ~1e-6, and int8 ones have a cosine to fp32 of 0.994 on average, 0.976 at worst
(500 held-out input-rail prompts, one per call; per-tensor weights gave 0.960 and 0.814).
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from models import resolve_model_path

logger = logging.getLogger(__name__)
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_FEW = 4  # up to this many texts are embedded one per call (no padding), side by side on the pool


def onnx_file(cache_dir: Path, model: str, int8: bool) -> Path:
    """Where the exported graph of `model` lives in the cache dir."""
    # int8pc: per-channel weight scales (the per-tensor "-int8" files of older versions are not reused)
    return Path(cache_dir) / "onnx" / f"{Path(model).name}-{'int8pc' if int8 else 'fp32'}.onnx"


def positional_module(model: Any, output: str) -> Any:
    """`model` with positional (input_ids, attention_mask, token_type_ids) inputs and its one `output`: what the
    legacy ONNX exporter wants (the embedder's hidden states, the cross-encoder's logits)."""
    import torch

    class Positional(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                    token_type_ids: torch.Tensor) -> torch.Tensor:
            return getattr(self.model(input_ids=input_ids, attention_mask=attention_mask,
                                      token_type_ids=token_type_ids), output)

    return Positional()


def export_onnx(model: str, cache_dir: Path, int8: bool) -> Path:
    """The fp32 or int8 ONNX graph of `model`'s transformer in the cache dir, exported (int8: quantized from
    the fp32 one) unless already there."""
    out, fp32 = onnx_file(cache_dir, model, int8), onnx_file(cache_dir, model, int8=False)
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    if not fp32.exists():
        model_dir = resolve_model_path(model)
        import torch
        from transformers import AutoModel, AutoTokenizer

        tok = AutoTokenizer.from_pretrained(model_dir)
        hf = AutoModel.from_pretrained(model_dir).eval()
        sample = tok(["an example sentence"], return_tensors="pt")

        axes = {name: {0: "batch", 1: "tokens"} for name in (*_INPUTS, "last_hidden_state")}
        tmp = fp32.with_suffix(f".{os.getpid()}.tmp")
        with torch.no_grad():
            torch.onnx.export(positional_module(hf, "last_hidden_state"), tuple(sample[k] for k in _INPUTS),
                              str(tmp), input_names=list(_INPUTS), output_names=["last_hidden_state"],
                              dynamic_axes=axes, opset_version=17, dynamo=False)
        os.replace(tmp, fp32)
        logger.info("exported %s to %s", model_dir, fp32)
    if int8:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        tmp = out.with_suffix(f".{os.getpid()}.tmp")
        # per channel: one weight scale per output column; per-tensor scales put the vectors at ~0.96 cosine
        quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8, per_channel=True)
        os.replace(tmp, out)
        logger.info("quantized %s to %s", fp32, out)
    return out


class OnnxEmbedder:
    """Embedder protocol over ONNX Runtime (one session, `threads` intra-op threads; up to `parallel` short
    lists' texts run side by side)."""

    def __init__(self, model: str, cache_dir: Path, threads: int | None = 1, int8: bool = True,
                 batch_size: int = 4, max_tokens: int = 256, parallel: int = 2) -> None:
        import onnxruntime as ort
        from transformers import AutoTokenizer

        onnx_path = export_onnx(model, cache_dir, int8)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or 0
        opts.inter_op_num_threads = 1
        # No CPU memory arena: it keeps the peak of every input shape it has seen, and windows/batches of varied
        # lengths grew a gateway from ~0.7 to ~1.4 GB within 300 calls here (flat at ~0.7 GB without it).
        opts.enable_cpu_mem_arena = False
        self._session = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])
        self._wanted = {i.name for i in self._session.get_inputs()}
        self.tokenizer = AutoTokenizer.from_pretrained(resolve_model_path(model))
        self.name, self.int8 = model, int8
        self.dim = int(self._session.get_outputs()[0].shape[-1] or 384)
        # Small batches run faster here than large ones (cache-sized activations, less padding): 64 texts of ~200
        # tokens took 3.4 s int8 / 6.2 s fp32 in batches of 64 and 2.3 / 4.1 s in batches of 4; 64 sentences
        # 1.5 s / 3.2 s against 0.33 / 0.70 s.
        self.batch_size = batch_size
        self.max_tokens = max_tokens
        self._pool = ThreadPoolExecutor(parallel, thread_name_prefix="onnx-embed") if parallel > 1 else None
        logger.info("ONNX embedder %s loaded from %s", model, onnx_path)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Batches of similar length (as sentence-transformers does), so little compute goes to padding; a
        few texts (a query, an answer's claims) go one at a time, which pads nothing, side by side on the
        pool's threads (ONNX Runtime runs without the GIL): two claims take ~4 ms instead of ~6.5 (int8)."""
        if len(texts) > 1 and len(texts) <= _FEW and self._pool is not None:
            return np.concatenate(list(self._pool.map(self._alone, texts)))
        return self._by_length(texts)[0]

    def _alone(self, text: str) -> np.ndarray:
        return self._batch([text])[0]

    def embed_spans(self, texts: list[str], spans: list[list[tuple[int, int]]]) -> tuple[np.ndarray, list[np.ndarray]]:
        """`embed(texts)` (the very same vectors), and for each text the mean of its token states over each of
        its character spans, L2-normalized: what the document rail's piece gate reads (a span with no token of
        its own gets a zero row). The index pass computes these states anyway; pooling them costs ~nothing."""
        return self._by_length(texts, spans)

    def _by_length(self, texts: list[str], spans: list[list[tuple[int, int]]] | None = None
                   ) -> tuple[np.ndarray, list[np.ndarray]]:
        """`texts` longest first in batches of `batch_size` (one at a time when they are few), the vectors and
        (with `spans`) the pooled spans put back in the texts' order."""
        size = 1 if len(texts) <= _FEW else self.batch_size
        order = np.argsort([-len(t) for t in texts], kind="stable")
        vectors = np.empty((len(texts), self.dim), dtype=np.float32)
        pooled: list[np.ndarray] = [np.zeros((0, self.dim), np.float32)] * len(texts)
        for i in range(0, len(texts), size):
            rows = order[i:i + size]
            vectors[rows], found = self._batch([texts[j] for j in rows],
                                               None if spans is None else [spans[j] for j in rows])
            for j, p in zip(rows, found, strict=False):  # found is empty without spans
                pooled[j] = p
        return vectors, (pooled if spans is not None else [])

    def _batch(self, texts: list[str], spans: list[list[tuple[int, int]]] | None = None
               ) -> tuple[np.ndarray, list[np.ndarray]]:
        enc = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_tokens, return_tensors="np",
                             return_offsets_mapping=spans is not None)
        offsets = enc.pop("offset_mapping", None)
        feed = {k: v.astype(np.int64) for k, v in enc.items() if k in self._wanted}
        hidden = self._session.run(None, feed)[0]
        mask = enc["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(1) / np.clip(mask.sum(1), 1e-9, None)
        vectors = (pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)).astype(np.float32)
        if spans is None or offsets is None:
            return vectors, []
        return vectors, [_span_means(h, o, s) for h, o, s in zip(hidden, offsets, spans, strict=True)]


def _span_means(states: np.ndarray, offsets: np.ndarray, spans: list[tuple[int, int]]) -> np.ndarray:
    """Mean token state per character span (tokens wholly inside it; special and padding tokens have empty
    offsets), L2-normalized; zeros where no token falls inside."""
    out = np.zeros((len(spans), states.shape[-1]), dtype=np.float32)
    real = offsets[:, 1] > offsets[:, 0]
    for k, (start, end) in enumerate(spans):
        inside = real & (offsets[:, 0] >= start) & (offsets[:, 1] <= end)
        if inside.any():
            mean = states[inside].mean(0)
            out[k] = mean / max(float(np.linalg.norm(mean)), 1e-12)
    return out
