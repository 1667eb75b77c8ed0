"""Versioned snapshots under an index root, and the `current` pointer the gateway serves.

    ROOT/snapshots/v0001-20261128T132400/{manifest.json, index.faiss, chunks.sqlite, bm25/}
    ROOT/current            one line: the version served

A snapshot is written to a hidden temporary folder and renamed into place; the pointer is replaced with
os.replace. Both are atomic on POSIX, so a reader sees the old snapshot or the new one, never half.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any, Protocol

POINTER = "current"
SNAPSHOTS = "snapshots"
_VERSION = re.compile(r"^v(\d+)-[0-9T]+$")


def versions(root: Path) -> list[str]:
    """Published versions, oldest first."""
    folder = root / SNAPSHOTS
    if not folder.is_dir():
        return []
    found = [p.name for p in folder.iterdir() if p.is_dir() and _VERSION.match(p.name)]
    return sorted(found, key=lambda v: int(_VERSION.match(v).group(1)))  # type: ignore[union-attr]


def current_version(root: Path) -> str | None:
    pointer = root / POINTER
    return pointer.read_text().strip() if pointer.is_file() else None


def snapshot_path(root: Path, version: str) -> Path:
    if not _VERSION.match(version) or not (root / SNAPSHOTS / version).is_dir():
        raise FileNotFoundError(f"no snapshot {version!r} under {root} (have: {', '.join(versions(root)) or 'none'})")
    return root / SNAPSHOTS / version


def resolve(path: Path) -> Path:
    """The folder to load: the current snapshot of an index root, or `path` itself (a snapshot folder)."""
    version = current_version(path)
    return snapshot_path(path, version) if version else path


def set_current(root: Path, version: str) -> None:
    snapshot_path(root, version)  # refuse a pointer to nothing
    tmp = root / f".{POINTER}.{os.getpid()}.tmp"
    tmp.write_text(version + "\n")
    os.replace(tmp, root / POINTER)


class Snapshot(Protocol):
    """What publishing needs of an index (FaissIndex is one): its manifest and a way to write itself."""

    manifest: dict[str, Any]

    def save(self, out: Path) -> None: ...


def publish(index: Snapshot, root: Path, make_current: bool = True) -> Path:
    """Write `index` as the next version under root and (by default) point `current` at it."""
    existing = versions(root)
    number = int(_VERSION.match(existing[-1]).group(1)) + 1 if existing else 1  # type: ignore[union-attr]
    version = f"v{number:04d}-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}"
    index.manifest["version"] = version
    tmp = root / SNAPSHOTS / f".{version}.tmp"
    index.save(tmp)
    final = root / SNAPSHOTS / version
    os.replace(tmp, final)
    if make_current:
        set_current(root, version)
    return final
