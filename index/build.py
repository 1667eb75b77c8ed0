"""Build an index folder from a folder of documents."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.progress import Progress

from index.chunking import chunk_documents, load_documents
from index.embedder import Embedder
from index.store import FaissIndex


@dataclass(frozen=True)
class BuildReport:
    documents: int
    chunks: int
    seconds: float


def build_index(src: Path, out: Path, embedder: Embedder, max_words: int = 120,
                batch_size: int = 64, progress: bool = True) -> BuildReport:
    """Read, chunk, embed (with a progress bar) and write FAISS + SQLite + manifest to `out`."""
    started = time.perf_counter()
    docs = load_documents(src)
    chunks = chunk_documents(docs, max_words=max_words)
    parts: list[np.ndarray] = []
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task("embedding chunks", total=len(chunks))
        for i in range(0, len(chunks), batch_size):
            batch = chunks[i:i + batch_size]
            parts.append(embedder.embed([c.text for c in batch]))
            bar.advance(task, len(batch))
    vectors = np.vstack(parts) if parts else np.zeros((0, embedder.dim), dtype=np.float32)
    FaissIndex.build(chunks, vectors, embedder.name).save(out)
    return BuildReport(documents=len(docs), chunks=len(chunks), seconds=time.perf_counter() - started)
