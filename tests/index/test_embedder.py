"""The int8 copy of the embedder the fact-check uses stays close to the fp32 one."""

import numpy as np

from index.embedder import SentenceTransformerEmbedder


def test_int8_embeddings_stay_close_to_fp32(embedder: SentenceTransformerEmbedder) -> None:
    texts = ["The gateway listens on port 8080 by default.", "Retrieved chunks are scanned for instructions.",
             "Bananas are rich in potassium."]
    int8 = SentenceTransformerEmbedder(threads=1, int8=True)
    a, b = embedder.embed(texts), int8.embed(texts)
    assert b.shape == a.shape and np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-3)
    assert ((a * b).sum(axis=1) > 0.9).all()
    # what the rail relies on: the same pair ranks the same way
    assert np.argmax(b[2:] @ b[:2].T) == np.argmax(a[2:] @ a[:2].T)
