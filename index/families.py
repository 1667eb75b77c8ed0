"""FAISS index families (inner product over normalized vectors): exact, HNSW, IVF-PQ.

Every family is wrapped so vectors carry stable int64 ids (the chunk's row in SQLite): that is what
lets an incremental update add and delete without renumbering.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import faiss
import numpy as np

IndexKind = Literal["auto", "flat", "hnsw", "ivfpq"]
FLAT_MAX = 50_000  # exact search stays under a few ms per query up to about here on 2 cores
HNSW_MAX = 2_000_000  # beyond this HNSW's memory (vectors + graph) gets costly: compress with IVF-PQ
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128
IVF_NPROBE = 32


def choose_kind(n: int, kind: IndexKind = "auto") -> str:
    """`auto` picks exact for small corpora, HNSW for large, IVF-PQ for very large ones."""
    if kind != "auto":
        return kind
    return "flat" if n <= FLAT_MAX else "hnsw" if n <= HNSW_MAX else "ivfpq"


def ivf_lists(n: int) -> int:
    """About sqrt(n) inverted lists, with at least 39 training points each (FAISS's minimum)."""
    return max(1, min(int(math.sqrt(max(n, 1))), n // 39))


def factory_string(kind: str, n: int, dim: int, hnsw_m: int = HNSW_M) -> str:
    if kind == "flat":
        return "IDMap2,Flat"
    if kind == "hnsw":
        return f"IDMap2,HNSW{hnsw_m},Flat"
    if kind == "ivfpq":
        m = next(m for m in (dim // 8, dim // 4, dim // 2, dim) if m > 0 and dim % m == 0)
        nbits = min(8, max(4, int(math.log2(max(n, 1) / 39))))  # 39 training points per PQ centroid
        return f"IVF{ivf_lists(n)},PQ{m}x{nbits}"
    raise ValueError(f"unknown index kind {kind!r} (flat, hnsw, ivfpq, auto)")


def make_index(kind: str, vectors: np.ndarray, ids: np.ndarray | None = None, hnsw_m: int = HNSW_M,
               ef_construction: int = HNSW_EF_CONSTRUCTION) -> faiss.Index:
    """Build (train if needed, on a sample of at most 64 points per list) and fill an index of the family."""
    n, dim = vectors.shape
    index = faiss.index_factory(dim, factory_string(kind, n, dim, hnsw_m), faiss.METRIC_INNER_PRODUCT)
    if kind == "hnsw":
        _hnsw(index).efConstruction = ef_construction
    if not index.is_trained:
        sample = min(n, max(64 * ivf_lists(n), 256 * 39))
        rows = np.random.default_rng(0).choice(n, sample, replace=False) if sample < n else slice(None)
        index.train(np.ascontiguousarray(vectors[rows]))
    tune(index, kind)
    if n:
        index.add_with_ids(vectors, np.arange(n, dtype=np.int64) if ids is None else ids)
    return index


def _hnsw(index: faiss.Index) -> Any:
    """The HNSW graph parameters inside an IDMap2-wrapped HNSW index."""
    outer: Any = faiss.downcast_index(index)
    inner: Any = faiss.downcast_index(outer.index) if isinstance(outer, faiss.IndexIDMap) else outer
    return inner.hnsw


def tune(index: faiss.Index, kind: str, ef_search: int = HNSW_EF_SEARCH, nprobe: int = IVF_NPROBE) -> None:
    """Search-time knobs (not stored in the file for HNSW, so set again after every load)."""
    if kind == "hnsw":
        _hnsw(index).efSearch = ef_search
    elif kind == "ivfpq":
        faiss.extract_index_ivf(index).nprobe = nprobe


def supports_delete(kind: str) -> bool:
    return kind != "hnsw"  # HNSW graphs cannot drop nodes; rebuild instead
