"""The embedders the gateway runs: ONNX Runtime fp32 matches torch; the int8 copies stay close to fp32."""

from pathlib import Path

import numpy as np
import pytest

from index.embedder import SentenceTransformerEmbedder, load_embedder
from index.onnx_embedder import OnnxEmbedder, onnx_file

TEXTS = ["The gateway listens on port 8080 by default.", "Retrieved chunks are scanned for instructions.",
         "Bananas are rich in potassium."]


def test_int8_embeddings_stay_close_to_fp32(embedder: SentenceTransformerEmbedder) -> None:
    int8 = SentenceTransformerEmbedder(threads=1, int8=True)
    a, b = embedder.embed(TEXTS), int8.embed(TEXTS)
    assert b.shape == a.shape and np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-3)
    assert ((a * b).sum(axis=1) > 0.9).all()
    # what the rail relies on: the same pair ranks the same way
    assert np.argmax(b[2:] @ b[:2].T) == np.argmax(a[2:] @ a[:2].T)


@pytest.mark.parametrize("int8", [False, True])
def test_onnx_embedder_matches_torch(embedder: SentenceTransformerEmbedder, int8: bool, tmp_path_factory) -> None:
    cache = Path(tmp_path_factory.getbasetemp()) / "onnx-cache"  # exported once per session, int8 from fp32
    onnx = load_embedder(threads=1, int8=int8, cache_dir=cache)
    assert isinstance(onnx, OnnxEmbedder) and onnx.dim == embedder.dim
    a, b = embedder.embed(TEXTS), onnx.embed(TEXTS)
    assert b.shape == a.shape and np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-3)
    # int8 is quantized per channel: ~0.994 cosine to fp32 on real prompts (per-tensor gave ~0.96, 0.81 worst)
    assert ((a * b).sum(axis=1) > (0.97 if int8 else 0.9999)).all()
    assert onnx.embed([]).shape == (0, embedder.dim)
    if int8:  # a per-tensor "-int8.onnx" left in a cache by older versions is not picked up
        assert onnx_file(cache, onnx.name, int8=True).name.endswith("-int8pc.onnx")


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="backend"):
        load_embedder(backend="tensorflow")
