"""One snapshot: a FAISS index (inner product over normalized vectors, stable int64 ids), the chunks in
SQLite, a BM25 index, and a self-describing manifest with a checksum over all of it."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import time
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from index.base import Chunk, Hit, Mode, StoredVerdict, VectorIndex
from index.families import IndexKind, choose_kind, factory_string, make_index, supports_delete, tune
from index.hybrid import Fusion
from index.keyword import KeywordIndex

__all__ = ["FaissIndex", "Hit", "IndexMismatch", "VectorIndex", "MANIFEST_FILE"]

INDEX_FILE = "index.faiss"
META_FILE = "chunks.sqlite"
BM25_DIR = "bm25"
MANIFEST_FILE = "manifest.json"
FORMAT = 2
_COLUMNS = "id, chunk_id, source, title, text, start, end, page, url, tokens"
_VERDICT_COLUMNS = "verdict, verdict_score, verdict_reason"  # NULL: not scanned at index time (or an older snapshot)
RAIL = "document_rail"  # manifest key: {"identity", "scanned", "flagged"} of the rail whose verdicts are stored


class IndexMismatch(RuntimeError):
    """The snapshot on disk cannot serve the running gateway (other embedder, damaged, old layout)."""


def checksum(folder: Path) -> str:
    """sha256 over every file of a snapshot except its manifest, in a stable order."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST_FILE):
        digest.update(str(path.relative_to(folder)).encode())
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


class FaissIndex:
    """A loaded snapshot; thread-safe for concurrent reads. Updates return a new FaissIndex."""

    def __init__(self, index: faiss.Index, chunks: dict[int, Chunk], keyword: KeywordIndex,
                 manifest: dict[str, Any]) -> None:
        self._index = index
        self._chunks = chunks
        self._keyword = keyword
        self.manifest = manifest
        self.kind = str(manifest["index_type"]["family"])
        tune(index, self.kind)

    def __len__(self) -> int:
        return len(self._chunks)

    def search(self, vector: np.ndarray, top_k: int) -> list[Hit]:
        """Dense: inner product with the query vector."""
        if not self._chunks:
            return []
        query = np.ascontiguousarray(vector.reshape(1, -1), dtype=np.float32)
        scores, ids = self._index.search(query, min(top_k, len(self._chunks)))
        return [Hit(self._chunks[int(i)], float(s)) for s, i in zip(scores[0], ids[0], strict=True) if i >= 0]

    def keyword(self, query: str, top_k: int) -> list[Hit]:
        """BM25 over the chunk texts."""
        return [Hit(self._chunks[i], s) for i, s in self._keyword.search(query, top_k)]

    def retrieve(self, query: str, vector: np.ndarray | None, top_k: int, mode: Mode,
                 fusion: Fusion = Fusion()) -> list[Hit]:
        if mode == "bm25":
            return self.keyword(query, top_k)
        if vector is None:
            raise ValueError(f"mode {mode!r} needs the query's vector")
        if mode == "dense":
            return self.search(vector, top_k)
        depth = max(fusion.depth, top_k)
        return fusion.fuse(self.search(vector, depth), self.keyword(query, depth), top_k)

    # ---- building and updating -----------------------------------------------------------------
    @classmethod
    def build(cls, chunks: list[Chunk], vectors: np.ndarray, embedder_name: str,
              kind: IndexKind = "auto", extra: dict[str, Any] | None = None) -> FaissIndex:
        ids = np.arange(len(chunks), dtype=np.int64)
        return cls._assemble(dict(zip(ids.tolist(), chunks, strict=True)), vectors, ids, embedder_name,
                             choose_kind(len(chunks), kind), extra or {})

    @classmethod
    def _assemble(cls, chunks: dict[int, Chunk], vectors: np.ndarray, ids: np.ndarray, embedder_name: str,
                  family: str, extra: dict[str, Any], index: faiss.Index | None = None) -> FaissIndex:
        dim = int(vectors.shape[1])
        if index is None:
            index = make_index(family, np.ascontiguousarray(vectors, dtype=np.float32), ids)
        keyword = KeywordIndex.build(list(chunks), [c.text for c in chunks.values()])
        manifest = {"format": FORMAT, "embedder": embedder_name, "dim": dim,
                    "index_type": {"family": family, "faiss": factory_string(family, len(chunks), dim),
                                   "metric": "inner_product"},
                    "chunks": len(chunks), "sources": len({c.source for c in chunks.values()}),
                    "tokens": sum(c.tokens for c in chunks.values()), "next_id": int(max(chunks, default=-1)) + 1,
                    "built_at": int(time.time()), **extra}
        return cls(index, chunks, keyword, manifest)

    def updated(self, add: list[Chunk], vectors: np.ndarray, delete_sources: Iterable[str] = ()) -> FaissIndex:
        """A new index: chunks of `delete_sources` removed, `add` appended, the rest untouched."""
        gone = set(delete_sources)
        kept = {i: c for i, c in self._chunks.items() if c.source not in gone and c.source.split("#")[0] not in gone}
        drop = np.array([i for i in self._chunks if i not in kept], dtype=np.int64)
        if len(drop) and not supports_delete(self.kind):
            raise IndexMismatch(f"a {self.kind} index cannot delete vectors: rebuild the snapshot instead")
        index = faiss.clone_index(self._index)
        if len(drop):
            index.remove_ids(faiss.IDSelectorBatch(len(drop), faiss.swig_ptr(drop)))
        start = int(self.manifest["next_id"])
        new_ids = np.arange(start, start + len(add), dtype=np.int64)
        if len(add):
            index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), new_ids)
        chunks = {**kept, **dict(zip(new_ids.tolist(), add, strict=True))}
        extra = {"parent": self.manifest.get("version"), "added": len(add), "deleted": len(drop)}
        empty = np.zeros((0, int(self.manifest["dim"])), dtype=np.float32)
        result = self._assemble(chunks, empty, new_ids, self.manifest["embedder"], self.kind, extra, index)
        result.manifest["next_id"] = start + len(add)
        if RAIL in self.manifest:  # the kept chunks keep their verdicts, made by the parent's rail
            result.set_verdicts({}, self.manifest[RAIL]["identity"], scanned=0)
        return result

    # ---- document-rail verdicts ----------------------------------------------------------------
    def unscanned(self, identity: str) -> dict[int, Chunk]:
        """The chunks without a stored verdict of the rail `identity` (new, or scanned by another rail)."""
        return {i: c for i, c in self._chunks.items() if c.verdict is None or c.verdict.rail != identity}

    def set_verdicts(self, verdicts: Mapping[int, StoredVerdict], identity: str, scanned: int) -> None:
        """Store the rail's verdicts with their chunks (before the snapshot is published) and name the rail."""
        for i, verdict in verdicts.items():
            self._chunks[i] = replace(self._chunks[i], verdict=verdict)
        flagged = sum(1 for c in self._chunks.values() if c.verdict is not None and c.verdict.blocked)
        self.manifest[RAIL] = {"identity": identity, "scanned": scanned, "flagged": flagged}

    def flagged(self) -> list[Chunk]:
        """The chunks whose stored verdict found instructions in them, in index order."""
        return [c for c in self._chunks.values() if c.verdict is not None and c.verdict.blocked]

    # ---- disk ----------------------------------------------------------------------------------
    def save(self, out: Path) -> None:
        """Write every file, then the manifest (with the checksum) last: a folder with a manifest is whole."""
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        faiss.write_index(self._index, str(out / INDEX_FILE))
        with sqlite3.connect(out / META_FILE) as db:
            db.execute("CREATE TABLE chunks (id INTEGER PRIMARY KEY, chunk_id TEXT UNIQUE, source TEXT, title TEXT, "
                       "text TEXT, start INTEGER, end INTEGER, page INTEGER, url TEXT, tokens INTEGER, "
                       "verdict TEXT, verdict_score REAL, verdict_reason TEXT)")
            db.executemany(f"INSERT INTO chunks ({_COLUMNS}, {_VERDICT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                           [(i, c.id, c.source, c.title, c.text, c.start, c.end, c.page, c.url, c.tokens,
                             *_verdict_row(c.verdict)) for i, c in self._chunks.items()])
        db.close()
        self._keyword.save(out / BM25_DIR)
        self.manifest["checksum"] = f"sha256:{checksum(out)}"
        (out / MANIFEST_FILE).write_text(json.dumps(self.manifest, indent=2) + "\n")

    @classmethod
    def load(cls, path: Path, embedder_name: str | None = None, dim: int | None = None) -> FaissIndex:
        """Load a snapshot folder, or the `current` snapshot of an index root; refuse what cannot serve."""
        from index.snapshots import resolve

        path = resolve(path)
        if not (path / MANIFEST_FILE).is_file():
            raise IndexMismatch(f"no index at {path}: build one with `python -m index build`")
        manifest = json.loads((path / MANIFEST_FILE).read_text())
        if manifest.get("format") != FORMAT:
            raise IndexMismatch(f"index at {path} has an old layout: rebuild the index")
        if embedder_name is not None and manifest.get("embedder") != embedder_name:
            raise IndexMismatch(f"index at {path} was built with {manifest.get('embedder')!r}, "
                                f"the gateway runs {embedder_name!r}: rebuild the index")
        if dim is not None and manifest.get("dim") != dim:
            raise IndexMismatch(f"index dim {manifest.get('dim')} != embedder dim {dim}: rebuild the index")
        if manifest.get("checksum") != f"sha256:{checksum(path)}":
            raise IndexMismatch(f"index at {path} does not match its manifest's checksum (damaged or partial)")
        index = faiss.read_index(str(path / INDEX_FILE))
        with sqlite3.connect(path / META_FILE) as db:
            stored = "verdict" in {r[1] for r in db.execute("PRAGMA table_info(chunks)")}  # not in older snapshots
            rows = db.execute(f"SELECT {_COLUMNS}{', ' + _VERDICT_COLUMNS if stored else ''} "
                              "FROM chunks ORDER BY id").fetchall()
        db.close()
        rail = str(manifest.get(RAIL, {}).get("identity", ""))
        chunks = {row[0]: Chunk(*row[1:10], verdict=_stored(row[10:], rail)) for row in rows}  # type: ignore[misc]
        if index.ntotal != len(chunks):
            raise IndexMismatch(f"index holds {index.ntotal} vectors but {len(chunks)} chunks")
        return cls(index, chunks, KeywordIndex.load(path / BM25_DIR, list(chunks)), manifest)


def _verdict_row(verdict: StoredVerdict | None) -> tuple[str | None, float | None, str | None]:
    if verdict is None:
        return None, None, None
    return "block" if verdict.blocked else "pass", verdict.score, verdict.reason


def _stored(row: tuple[object, ...], rail: str) -> StoredVerdict | None:
    if not row or row[0] is None or not rail:
        return None
    return StoredVerdict(row[0] == "block", float(row[1]), str(row[2]), rail)  # type: ignore[arg-type]
