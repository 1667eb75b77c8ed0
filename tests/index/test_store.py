from pathlib import Path

import pytest

from index.embedder import SentenceTransformerEmbedder
from index.store import FaissIndex, IndexMismatch


def test_real_index_finds_the_right_document(index_dir: Path, embedder: SentenceTransformerEmbedder) -> None:
    index = FaissIndex.load(index_dir, embedder.name, embedder.dim)
    hits = index.search(embedder.embed(["What port does the gateway listen on by default?"])[0], 3)
    assert hits[0].chunk.source == "configuration.md"
    assert hits[0].score >= hits[-1].score
    hits = index.search(embedder.embed(["Which metric counts rail verdicts?"])[0], 2)
    assert hits[0].chunk.source == "metrics.md"


def test_index_built_by_another_embedder_is_refused(index_dir: Path) -> None:
    with pytest.raises(IndexMismatch, match="rebuild the index"):
        FaissIndex.load(index_dir, "some-other-model")


def test_embeddings_are_normalized(embedder: SentenceTransformerEmbedder) -> None:
    vecs = embedder.embed(["hello world", "ragguard checks answers"])
    assert vecs.shape == (2, 384)
    assert abs(float((vecs[0] ** 2).sum()) - 1.0) < 1e-4
