"""BM25 (bm25s) over chunk texts, English stopwords and Snowball stemming."""

from __future__ import annotations

import json
from pathlib import Path

import bm25s
import Stemmer

_STEMMER = Stemmer.Stemmer("english")
IDS_FILE = "ids.json"


def tokenize(texts: list[str]) -> list[list[str]]:
    return bm25s.tokenize(texts, stopwords="en", stemmer=_STEMMER.stemWords, return_ids=False,
                          show_progress=False)


class KeywordIndex:
    """Maps bm25s's document positions back to the snapshot's chunk ids."""

    def __init__(self, retriever: bm25s.BM25 | None, ids: list[int]) -> None:
        self._retriever = retriever
        self._ids = ids

    @classmethod
    def build(cls, ids: list[int], texts: list[str]) -> KeywordIndex:
        if not texts:
            return cls(None, [])
        retriever = bm25s.BM25()
        retriever.index(tokenize(texts), show_progress=False)
        return cls(retriever, ids)

    def search(self, query: str, top_k: int) -> list[tuple[int, float]]:
        if self._retriever is None:
            return []
        tokens = tokenize([query])
        if not tokens[0]:
            return []
        # n_threads=0: a plain map in this thread (n_threads=1 starts and joins a new thread pool every call)
        docs, scores = self._retriever.retrieve(tokens, k=min(top_k, len(self._ids)), show_progress=False,
                                                n_threads=0)
        return [(self._ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / IDS_FILE).write_text(json.dumps(self._ids))
        if self._retriever is not None:
            self._retriever.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, ids: list[int]) -> KeywordIndex:
        stored = json.loads((folder / IDS_FILE).read_text())
        if stored != ids:
            raise ValueError(f"BM25 index at {folder} does not match the snapshot's chunks")
        if not ids:
            return cls(None, [])
        return cls(bm25s.BM25.load(str(folder), mmap=False), ids)

