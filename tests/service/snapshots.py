"""Three snapshots under one index root, for the swap tests: v1 docs/; v2 docs/ plus a solar page; v3 v2 relabelled
as built by another embedder (a swap to it must be refused); `current` points at v1."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from index.base import Embedder
from index.build import build_index
from index.snapshots import SNAPSHOTS, set_current, versions
from index.store import MANIFEST_FILE

ROOT = Path(__file__).resolve().parents[2]


def three_snapshots(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, name: str) -> Path:
    root = tmp_path_factory.mktemp(name)
    build_index(ROOT / "docs", root, embedder, progress=False)
    src = tmp_path_factory.mktemp(f"{name}-docs2")
    shutil.copytree(ROOT / "docs", src, dirs_exist_ok=True)
    (src / "solar.md").write_text("# Solar\n\nThe heliostat field has 2650 mirrors.\n")
    build_index(src, root, embedder, progress=False)
    v1, v2 = versions(root)
    v3 = v2.replace("v0002", "v0003")
    shutil.copytree(root / SNAPSHOTS / v2, root / SNAPSHOTS / v3)
    manifest = json.loads((root / SNAPSHOTS / v3 / MANIFEST_FILE).read_text())
    (root / SNAPSHOTS / v3 / MANIFEST_FILE).write_text(json.dumps({**manifest, "embedder": "other-model",
                                                                   "version": v3}))
    set_current(root, v1)
    return root
