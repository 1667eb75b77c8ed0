"""What index/ hands the layers above, without faiss: chunks, hits, stored verdicts, and the seams
(`Embedder`, `VectorIndex`, `ChunkScanner`, `Reranker`) the gateway and the index build are written against."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np

Mode = Literal["dense", "bm25", "hybrid"]  # how a query is searched


@dataclass(frozen=True)
class StoredVerdict:
    """One chunk's document-rail verdict made at index time: whether instructions were found, score and why."""

    blocked: bool
    score: float
    reason: str
    rail: str  # the identity of the scanner that made it


@dataclass(frozen=True)
class Chunk:
    """A span of a document, with its character offsets (citations point at it) and the document's metadata."""

    id: str
    source: str
    title: str
    text: str
    start: int
    end: int
    page: int | None = None
    url: str | None = None
    tokens: int = 0
    verdict: StoredVerdict | None = field(default=None, compare=False)  # the document rail's, from the index build


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float


class Embedder(Protocol):
    """Turns texts into L2-normalized float32 vectors."""

    name: str
    dim: int
    int8: bool  # int8 weights: ONNX per-channel ~0.994 cosine to fp32 (0.976 worst); heads want the same kind

    def embed(self, texts: list[str]) -> np.ndarray: ...


class VectorIndex(Protocol):
    """Nearest chunks to a query: dense by vector, BM25 by text, or both fused."""

    def search(self, vector: np.ndarray, top_k: int) -> list[Hit]: ...

    def retrieve(self, query: str, vector: np.ndarray | None, top_k: int, mode: Mode) -> list[Hit]: ...

    def __len__(self) -> int: ...


class PieceGate(Protocol):
    """Clears pieces of a chunk that need no scan, from the index pass's own token states pooled per piece."""

    def reads(self, embedder: object) -> bool: ...  # whether this embedder's pass gives it its states

    def spans(self, text: str) -> list[tuple[int, int]]: ...  # the character span of each piece

    def cleared(self, pooled: np.ndarray) -> frozenset[int]: ...  # pieces (by index) that need no scan


class ChunkScanner(Protocol):
    """Scans chunks (their text and whatever else of them reaches the engine's prompt) for instructions."""

    identity: str  # changes whenever the verdicts could: model, thresholds, rules

    @property
    def gate(self) -> PieceGate | None: ...  # the index pass hands it its states, when there is one

    def scan_chunks(self, chunks: list[Chunk], cleared: list[frozenset[int]] | None = None
                    ) -> list[StoredVerdict]: ...


class Reranker(Protocol):
    """Reorders retrieved hits for a query (e.g. a cross-encoder); off unless one is configured."""

    def rerank(self, query: str, hits: list[Hit], top_k: int) -> list[Hit]: ...
