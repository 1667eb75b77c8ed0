"""Fusion of dense and BM25 rankings (convex combination of normalized scores, or reciprocal rank fusion),
and the optional reranking stage."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from index.base import Chunk, Hit

FusionMethod = Literal["convex", "rrf"]


@dataclass(frozen=True)
class Fusion:
    """How hybrid mode fuses its two rankings (`depth` candidates from each).

    convex (default): score = alpha * dense' + (1 - alpha) * bm25', each min-max normalized over its own
    candidates (0 where a chunk is absent) - it keeps how far apart the scores are, which RRF throws away.
    rrf: score = sum of weight / (k + rank); k=60 is the RRF paper's constant.
    `python -m training.retrieval eval` tunes alpha (and RRF's k and weights) on a corpus's dev questions."""

    k: int = 60
    dense_weight: float = 1.0
    bm25_weight: float = 1.0
    depth: int = 50  # candidates taken from each ranking
    method: FusionMethod = "convex"
    alpha: float = 0.5  # convex: the dense share

    def fuse(self, dense: list[Hit], bm25: list[Hit], top_k: int) -> list[Hit]:
        if self.method == "rrf":
            return rrf([(dense, self.dense_weight), (bm25, self.bm25_weight)], self.k, top_k)
        return convex([(dense, self.alpha), (bm25, 1.0 - self.alpha)], top_k)


def _top(scores: dict[str, float], chunks: dict[str, Chunk], top_k: int) -> list[Hit]:
    best = sorted(scores, key=lambda cid: -scores[cid])[:top_k]
    return [Hit(chunks[cid], scores[cid]) for cid in best]


def convex(rankings: list[tuple[list[Hit], float]], top_k: int) -> list[Hit]:
    """Fuse (ranking, weight) pairs by a weighted sum of min-max normalized scores."""
    scores: dict[str, float] = {}
    chunks: dict[str, Chunk] = {}
    for hits, weight in rankings:
        if not hits:
            continue
        low, high = min(h.score for h in hits), max(h.score for h in hits)
        for hit in hits:
            norm = (hit.score - low) / (high - low) if high > low else 1.0
            scores[hit.chunk.id] = scores.get(hit.chunk.id, 0.0) + weight * norm
            chunks[hit.chunk.id] = hit.chunk
    return _top(scores, chunks, top_k)


def rrf(rankings: list[tuple[list[Hit], float]], k: int, top_k: int) -> list[Hit]:
    """Fuse (ranking, weight) pairs; a chunk's fused score is the sum over the rankings it appears in."""
    scores: dict[str, float] = {}
    chunks: dict[str, Chunk] = {}
    for hits, weight in rankings:
        for rank, hit in enumerate(hits, start=1):
            scores[hit.chunk.id] = scores.get(hit.chunk.id, 0.0) + weight / (k + rank)
            chunks[hit.chunk.id] = hit.chunk
    return _top(scores, chunks, top_k)


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
