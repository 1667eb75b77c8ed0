"""Acceptance: hot swap and rollback under a running query load, with zero failed requests."""

import asyncio
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from index.build import build_index
from index.embedder import SentenceTransformerEmbedder
from index.snapshots import SNAPSHOTS, set_current, versions
from index.store import MANIFEST_FILE
from tests.conftest import ROOT

QUESTION = "How many mirrors does the heliostat field have?"


@pytest.fixture(scope="module")
def index_root(tmp_path_factory: pytest.TempPathFactory, embedder: SentenceTransformerEmbedder) -> Path:
    """v1: docs/; v2: docs/ plus a solar page; v3: v2 relabelled as built by another embedder."""
    root = tmp_path_factory.mktemp("root")
    build_index(ROOT / "docs", root, embedder, progress=False)
    src = tmp_path_factory.mktemp("docs2")
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


class Load:
    """Concurrent /v1/retrieve calls until stopped; every status is kept."""

    def __init__(self, client: httpx.AsyncClient, workers: int = 4) -> None:
        self.statuses: list[int] = []
        self._client, self._stop, self._progress = client, asyncio.Event(), asyncio.Condition()
        self._tasks = [asyncio.create_task(self._run()) for _ in range(workers)]

    async def _run(self) -> None:
        while not self._stop.is_set():
            r = await self._client.post("/v1/retrieve", json={"query": QUESTION, "top_k": 3, "mode": "hybrid"})
            self.statuses.append(r.status_code)
            async with self._progress:
                self._progress.notify_all()

    async def more(self, n: int = 8) -> None:
        """Wait until n more requests have completed (progress, not wall time)."""
        target = len(self.statuses) + n
        async with self._progress:
            await self._progress.wait_for(lambda: len(self.statuses) >= target)

    async def stop(self) -> list[int]:
        self._stop.set()
        await asyncio.gather(*self._tasks)
        return self.statuses


async def _top_source(client: httpx.AsyncClient) -> str:
    r = await client.post("/v1/retrieve", json={"query": QUESTION, "top_k": 1, "mode": "dense"})
    return r.json()["data"][0]["source"]


async def test_swap_and_rollback_under_load_fail_no_request(index_root: Path, make_settings: Callable,
                                                            gateway: Callable) -> None:
    v1, v2, v3 = versions(index_root)
    async with gateway(make_settings(index_dir=index_root, rate_limit="")) as client:
        assert await _top_source(client) != "solar.md"
        load = Load(client)
        await load.more()
        swapped = await client.post("/admin/index/swap", json={"version": v2})
        assert swapped.status_code == 200, swapped.text
        assert swapped.json()["version"] == v2 and (index_root / "current").read_text().strip() == v2
        assert await _top_source(client) == "solar.md"
        await load.more()
        refused = await client.post("/admin/index/swap", json={"version": v3})
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "snapshot_mismatch"
        assert "other-model" in refused.json()["error"]["message"]
        assert (await client.get("/admin/index")).json()["version"] == v2  # still serving v2
        rolled = await client.post("/admin/index/rollback")
        assert rolled.status_code == 200 and rolled.json()["version"] == v1
        assert await _top_source(client) != "solar.md"
        await load.more()
        statuses = await load.stop()
    assert len(statuses) >= 24
    assert set(statuses) == {200}, f"failed requests: {[s for s in statuses if s != 200]}"


async def test_admin_endpoints_need_an_admin_tenant(index_root: Path, make_settings: Callable,
                                                    gateway: Callable) -> None:
    settings = make_settings(index_dir=index_root, dev_mode=False, api_keys=["k-user"])
    async with gateway(settings) as client:
        r = await client.post("/admin/index/rollback", headers={"Authorization": "Bearer k-user"})
    assert r.status_code == 403 and r.json()["error"]["type"] == "permission_error"
