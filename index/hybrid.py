"""Reciprocal rank fusion of dense and BM25 rankings, and the optional reranking stage."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal, Protocol

from index.chunking import Chunk

Mode = Literal["dense", "bm25", "hybrid"]


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float


@dataclass(frozen=True)
class Fusion:
    """RRF: score = sum over rankings of weight / (k + rank). k=60 is the RRF paper's constant;
    `python -m index eval` tunes k and the weights on a corpus's dev questions."""

    k: int = 60
    dense_weight: float = 1.0
    bm25_weight: float = 1.0
    depth: int = 50  # candidates taken from each ranking


def rrf(rankings: list[tuple[list[Hit], float]], k: int, top_k: int) -> list[Hit]:
    """Fuse (ranking, weight) pairs; a chunk's fused score is the sum over the rankings it appears in."""
    scores: dict[str, float] = {}
    chunks: dict[str, Chunk] = {}
    for hits, weight in rankings:
        for rank, hit in enumerate(hits, start=1):
            scores[hit.chunk.id] = scores.get(hit.chunk.id, 0.0) + weight / (k + rank)
            chunks[hit.chunk.id] = hit.chunk
    best = sorted(scores, key=lambda cid: -scores[cid])[:top_k]
    return [Hit(chunks[cid], scores[cid]) for cid in best]


class Reranker(Protocol):
    """Reorders retrieved hits for a query (e.g. a cross-encoder); off unless one is configured."""

    def rerank(self, query: str, hits: list[Hit], top_k: int) -> list[Hit]: ...


class CrossEncoderReranker:
    """A sentence-transformers CrossEncoder from a local folder (none ships offline)."""

    def __init__(self, model_path: str) -> None:
        from sentence_transformers import CrossEncoder

        self._model = CrossEncoder(model_path, device="cpu", local_files_only=True)

    def rerank(self, query: str, hits: list[Hit], top_k: int) -> list[Hit]:
        if not hits:
            return []
        scores = self._model.predict([(query, h.chunk.text) for h in hits], show_progress_bar=False)
        ranked = sorted(zip(hits, scores, strict=True), key=lambda pair: -float(pair[1]))
        return [replace(h, score=float(s)) for h, s in ranked[:top_k]]
