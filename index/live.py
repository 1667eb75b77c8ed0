"""The snapshot a running gateway serves, hot-swappable and reversible.

A swap loads and checks the new snapshot completely before one reference assignment makes it live;
each search reads that reference once, so a request in flight finishes on the snapshot it started on.

A swap given the identity of the gateway's document rail refuses a snapshot whose stored chunk verdicts were
made by another rail (a changed head or threshold): serving it would scan every chunk on the request's path.
`python -m index update ROOT` rescans it into a new snapshot. A snapshot with no stored verdicts (older, or
built with --no-scan) is served and scanned at request time; a rollback always goes through.

Replicas over one index root converge through its `current` pointer: a swap writes it only after the new
snapshot loaded and passed its checks, and every replica's follow() (polled by service/index_watch.py) swaps
to a pointer that changed since it last looked. A pointer that cannot be written (a read-only volume) leaves
the swap in memory on this replica only, reported as such, never an error.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from index.base import Hit, Mode, Reranker
from index.hybrid import Fusion
from index.snapshots import current_version, set_current, snapshot_path, versions
from index.store import RAIL, FaissIndex, IndexMismatch

logger = logging.getLogger(__name__)

POINTER_WRITTEN = "written"
POINTER_READ_ONLY = "read-only, this replica only"


@dataclass(frozen=True)
class Followed:
    """What one look at the pointer did: `swapped` to its version, or `refused` it (keeps serving the old)."""

    pointer: str | None
    swapped: bool = False
    refused: str | None = None  # why, when the pointed-to snapshot could not serve here


class LiveIndex:
    """VectorIndex over whichever snapshot of `root` is live; swap() and rollback() change it."""

    def __init__(self, root: Path, embedder_name: str, dim: int, fusion: Fusion = Fusion(),
                 reranker: Reranker | None = None) -> None:
        self.root = root
        self._embedder = (embedder_name, dim)
        self.fusion = fusion
        self.reranker = reranker
        self._lock = threading.Lock()  # one swap at a time; searches never take it
        self._history: list[str] = []
        faiss.omp_set_num_threads(1)  # concurrency comes from the thread pool; OpenMP per query only contends
        self._seen_pointer = current_version(root)  # read before the load: a pointer moved meanwhile is followed
        self.snapshot = FaissIndex.load(root, embedder_name, dim)

    @property
    def version(self) -> str | None:
        return self.snapshot.manifest.get("version")

    def __len__(self) -> int:
        return len(self.snapshot)

    def search(self, vector: np.ndarray, top_k: int) -> list[Hit]:
        return self.snapshot.search(vector, top_k)

    def retrieve(self, query: str, vector: np.ndarray | None, top_k: int, mode: Mode) -> list[Hit]:
        snapshot, reranker = self.snapshot, self.reranker
        if reranker is None:
            return snapshot.retrieve(query, vector, top_k, mode, self.fusion)
        hits = snapshot.retrieve(query, vector, max(top_k, self.fusion.depth), mode, self.fusion)
        return reranker.rerank(query, hits, top_k)

    def describe(self) -> dict[str, Any]:
        m = self.snapshot.manifest
        return {"version": self.version, "current": current_version(self.root), "available": versions(self.root),
                "embedder": m["embedder"], "dim": m["dim"], "index_type": m["index_type"], "chunks": m["chunks"],
                "checksum": m.get("checksum"), "document_rail": m.get(RAIL)}

    def swap(self, version: str | None = None, rail: str | None = None) -> dict[str, Any]:
        """Make `version` (default: the newest) live and current. Raises IndexMismatch or FileNotFoundError
        and keeps serving the old snapshot when the new one cannot serve (or, given the running document
        rail's identity `rail`, holds verdicts of another rail)."""
        with self._lock:
            available = versions(self.root)
            if version is None and not available:
                raise FileNotFoundError(f"no snapshots under {self.root}")
            target = version or available[-1]
            self._activate(target, rail=rail)
            return {**self.describe(), "pointer": self._write_pointer(target)}

    def rollback(self) -> dict[str, Any]:
        """Back to the snapshot served before the last swap (or the version before the live one)."""
        with self._lock:
            if self._history:
                target = self._history[-1]
            else:
                older = [v for v in versions(self.root) if self.version is None or v < self.version]
                if not older:
                    raise FileNotFoundError(f"nothing to roll back to under {self.root}")
                target = older[-1]
            self._activate(target, remember=False)
            if self._history and self._history[-1] == target:
                self._history.pop()
            return {**self.describe(), "pointer": self._write_pointer(target)}

    def follow(self, rail: str | None = None) -> Followed:
        """Swap to the version `current` names if the pointer changed since the last look (another replica's
        swap or rollback, or a new build). A pointer that did not change is left alone, so a swap made in
        memory on a read-only volume is not undone. Raises nothing for a snapshot that cannot serve: it is
        reported in `refused` once per pointer change, and the old snapshot keeps serving."""
        pointer = current_version(self.root)
        if pointer == self._seen_pointer:
            return Followed(pointer)
        with self._lock:
            pointer = current_version(self.root)  # a swap may have just written it
            if pointer == self._seen_pointer:
                return Followed(pointer)
            self._seen_pointer = pointer
            if pointer is None or pointer == self.version:
                return Followed(pointer)
            try:
                self._activate(pointer, rail=rail)
            except (FileNotFoundError, IndexMismatch) as exc:
                return Followed(pointer, refused=str(exc))
            return Followed(pointer, swapped=True)

    def _write_pointer(self, version: str) -> str:
        """Point `current` at the version just made live (so other replicas follow); called under the lock."""
        try:
            set_current(self.root, version)
        except OSError as exc:  # a read-only index volume (Kubernetes mounts it so): this replica only
            logger.warning("index pointer not written (%s): %s is served by this replica only", exc, version)
            return POINTER_READ_ONLY
        self._seen_pointer = version
        return POINTER_WRITTEN

    def _activate(self, version: str, remember: bool = True, rail: str | None = None) -> None:
        path = snapshot_path(self.root, version)
        candidate = FaissIndex.load(path, *self._embedder)  # full load and checks before anything changes
        if candidate.manifest.get("version") != version:
            raise IndexMismatch(f"snapshot folder {version} holds version {candidate.manifest.get('version')}")
        stored = candidate.manifest.get(RAIL, {}).get("identity")
        if rail is not None and stored is not None and stored != rail:
            raise IndexMismatch(f"snapshot {version}'s chunk verdicts were made by document rail {stored}, the gateway "
                                f"runs {rail}: rescan it with `python -m index update {self.root}` (a new snapshot "
                                "with this rail's verdicts) and swap to that")
        previous = self.version
        self.snapshot = candidate  # the atomic switch; the pointer is written after it by the caller
        if remember and previous and previous != version:
            self._history.append(previous)
        logger.info("index swapped %s -> %s (%d chunks)", previous, version, len(candidate))
