"""Output rail: is each answer sentence supported by a retrieved passage? (embedding similarity)"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from guardrails.sentences import split_sentences
from guardrails.verdict import GroundingResult, SentenceCheck
from index.base import Embedder, Hit


class EmbeddingGroundingRail:
    """Support = best cosine between the sentence and any sentence window of the retrieved chunks."""

    name = "grounding"

    def __init__(self, embedder: Embedder, threshold: float, cache_size: int = 4096) -> None:
        self._embedder = embedder
        self.threshold = threshold
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size

    def _windows(self, hit: Hit) -> np.ndarray:
        """Embeddings of a chunk's sentences and of the whole chunk, cached by chunk id."""
        key = hit.chunk.id
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        texts = split_sentences(hit.chunk.text) + [hit.chunk.text]
        vecs = self._embedder.embed(texts)
        self._cache[key] = vecs
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return vecs

    def check(self, sentences: list[str], hits: list[Hit]) -> GroundingResult:
        if not sentences:
            return GroundingResult([])
        if not hits:
            return GroundingResult([SentenceCheck(s, False, 0.0, None) for s in sentences])
        claims = self._embedder.embed(sentences)
        best = np.full(len(sentences), -1.0, dtype=np.float32)
        best_hit = np.zeros(len(sentences), dtype=np.int64)
        for pos, hit in enumerate(hits):
            scores = (claims @ self._windows(hit).T).max(axis=1)
            better = scores > best
            best[better] = scores[better]
            best_hit[better] = pos
        return GroundingResult([
            SentenceCheck(s, bool(best[i] >= self.threshold), float(best[i]), int(best_hit[i]))
            for i, s in enumerate(sentences)
        ])
