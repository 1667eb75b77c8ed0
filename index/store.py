"""A FAISS index (inner product over normalized vectors) with chunk metadata in SQLite."""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import faiss
import numpy as np

from index.chunking import Chunk

INDEX_FILE = "index.faiss"
META_FILE = "chunks.sqlite"
MANIFEST_FILE = "manifest.json"


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float


class VectorIndex(Protocol):
    """Nearest chunks to a query vector."""

    def search(self, vector: np.ndarray, top_k: int) -> list[Hit]: ...

    def __len__(self) -> int: ...


class IndexMismatch(RuntimeError):
    """The index on disk was built with another embedder than the running one."""


class FaissIndex:
    """Exact inner-product search; thread-safe for concurrent reads."""

    def __init__(self, index: faiss.Index, chunks: list[Chunk], manifest: dict) -> None:
        self._index = index
        self._chunks = chunks
        self.manifest = manifest

    def __len__(self) -> int:
        return len(self._chunks)

    def search(self, vector: np.ndarray, top_k: int) -> list[Hit]:
        if not self._chunks:
            return []
        query = np.ascontiguousarray(vector.reshape(1, -1), dtype=np.float32)
        scores, ids = self._index.search(query, min(top_k, len(self._chunks)))
        return [Hit(self._chunks[i], float(s)) for s, i in zip(scores[0], ids[0], strict=True) if i >= 0]

    @classmethod
    def build(cls, chunks: list[Chunk], vectors: np.ndarray, embedder_name: str) -> FaissIndex:
        dim = int(vectors.shape[1])
        index = faiss.IndexFlatIP(dim)
        if len(chunks):
            index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        manifest = {"embedder": embedder_name, "dim": dim, "index_type": "IndexFlatIP",
                    "chunks": len(chunks), "sources": len({c.source for c in chunks}),
                    "built_at": int(time.time())}
        return cls(index, chunks, manifest)

    def save(self, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        faiss.write_index(self._index, str(out / INDEX_FILE))
        db_path = out / META_FILE
        db_path.unlink(missing_ok=True)
        with sqlite3.connect(db_path) as db:
            db.execute("CREATE TABLE chunks (pos INTEGER PRIMARY KEY, id TEXT UNIQUE, source TEXT, "
                       "title TEXT, text TEXT, start INTEGER, end INTEGER)")
            db.executemany("INSERT INTO chunks VALUES (?,?,?,?,?,?,?)",
                           [(i, c.id, c.source, c.title, c.text, c.start, c.end)
                            for i, c in enumerate(self._chunks)])
        (out / MANIFEST_FILE).write_text(json.dumps(self.manifest, indent=2) + "\n")

    @classmethod
    def load(cls, path: Path, embedder_name: str | None = None, dim: int | None = None) -> FaissIndex:
        manifest = json.loads((path / MANIFEST_FILE).read_text())
        if embedder_name is not None and manifest.get("embedder") != embedder_name:
            raise IndexMismatch(f"index at {path} was built with {manifest.get('embedder')!r}, "
                                f"the gateway runs {embedder_name!r}: rebuild the index")
        if dim is not None and manifest.get("dim") != dim:
            raise IndexMismatch(f"index dim {manifest.get('dim')} != embedder dim {dim}")
        index = faiss.read_index(str(path / INDEX_FILE))
        with sqlite3.connect(path / META_FILE) as db:
            rows = db.execute("SELECT id, source, title, text, start, end FROM chunks ORDER BY pos").fetchall()
        chunks = [Chunk(*row) for row in rows]
        if index.ntotal != len(chunks):
            raise IndexMismatch(f"index holds {index.ntotal} vectors but {len(chunks)} chunks")
        return cls(index, chunks, manifest)
