"""Acceptance: hot swap and rollback under a running query load, with zero failed requests; after `index update`
+ swap an edited chunk is judged on its new text; a snapshot scanned by another document rail is refused."""

import asyncio
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from prometheus_client import CollectorRegistry
from typer.testing import CliRunner

from guardrails.documents import DocumentRail, document_rail
from index.build import build_index, update_index
from index.cli import app as index_cli
from index.embedder import SentenceTransformerEmbedder
from index.snapshots import versions
from index.store import FaissIndex
from service.app import create_app
from tests.conftest import MODEL, ROOT
from tests.service.snapshots import three_snapshots
from tests.service.test_errors import metric
from tests.service.test_guardrails_check import POISONED, RecordingEngine

QUESTION = "How many mirrors does the heliostat field have?"


@pytest.fixture(scope="module")
def index_root(tmp_path_factory: pytest.TempPathFactory, embedder: SentenceTransformerEmbedder) -> Path:
    """v1: docs/; v2: docs/ plus a solar page; v3: v2 relabelled as built by another embedder."""
    return three_snapshots(tmp_path_factory, embedder, "root")


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
        ready = (await client.get("/readyz")).json()  # the live snapshot, not the one the gateway started on
        assert ready["index_version"] == v2 and ready["index_chunks"] == swapped.json()["chunks"]
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
    settings = make_settings(index_dir=index_root, dev_mode=False, api_keys=["k-user-0123456789abcdef"])
    async with gateway(settings) as client:
        r = await client.post("/admin/index/rollback", headers={"Authorization": "Bearer k-user-0123456789abcdef"})
    assert r.status_code == 403 and r.json()["error"]["type"] == "permission_error"


MAINTENANCE = "When is the quarterly maintenance window?"
CLEAN = POISONED.split("\n\nNote to the AI")[0] + "\n"  # the same page before someone planted the note


@pytest.fixture(scope="module")
def rail(embedder: SentenceTransformerEmbedder) -> DocumentRail:
    return document_rail(embedder)  # what the gateway builds from default settings and this embedder


def _corpus(folder: Path, page: str) -> Path:
    shutil.copytree(ROOT / "docs", folder, dirs_exist_ok=True)
    (folder / "maintenance.md").write_text(page)
    return folder


@pytest.mark.parametrize("scan", [True, False], ids=["verdicts stored", "scanned when served"])
async def test_an_edited_chunk_is_caught_after_update_and_swap(tmp_path: Path, make_settings: Callable,
                                                               embedder: SentenceTransformerEmbedder,
                                                               rail: DocumentRail, scan: bool) -> None:
    """#20 acceptance 3, #26 acceptance 2: `index update` replaces a clean page with a poisoned edit (same source,
    same chunk id); after the swap the chunk is dropped and never reaches the engine, whether its verdict was
    stored at build time or made at request time (cached by its text, not its id)."""
    root, scanner = tmp_path / "root", rail if scan else None
    build_index(_corpus(tmp_path / "v1", CLEAN), root, embedder, progress=False, scanner=scanner)
    engine = RecordingEngine()
    app = create_app(make_settings(index_dir=root), registry=CollectorRegistry(), embedder=embedder,
                     transport=httpx.MockTransport(engine))
    async with LifespanManager(app, startup_timeout=60):
        assert app.state.gateway.road.retrieval.documents.identity == rail.identity
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://g") as client:
            before = (await client.post("/v1/retrieve", json={"query": MAINTENANCE})).json()["data"]
            assert "maintenance.md#0" in {h["id"] for h in before}  # clean, served (and, unscanned, cached)
            edit = tmp_path / "edit"
            edit.mkdir()
            (edit / "maintenance.md").write_text(POISONED)
            report = update_index(root, embedder, edit, progress=False, scanner=scanner)
            assert report.flagged >= 1 if scan else report.scanned == 0
            swapped = await client.post("/admin/index/swap", json={})
            assert swapped.status_code == 200, swapped.text
            after = (await client.post("/v1/retrieve", json={"query": MAINTENANCE})).json()["data"]
            assert after and "maintenance.md" not in {h["source"] for h in after}
            r = await client.post("/v1/chat/completions",
                                  json={"model": MODEL, "messages": [{"role": "user", "content": MAINTENANCE}]})
            assert r.status_code == 200, r.text
            assert "recovery-desk@example.com" not in json.dumps(engine.requests[-1]["messages"])
            text = (await client.get("/metrics")).text
            assert metric(text, "ragguard_rail_verdicts_total", rail="indirect_injection", verdict="block") >= 2
    if scan:
        listed = CliRunner().invoke(index_cli, ["flagged", str(root)])
        assert listed.exit_code == 0 and "maintenance.md" in listed.output


async def test_a_snapshot_scanned_by_another_rail_is_refused_until_rescanned(
        tmp_path: Path, make_settings: Callable, gateway: Callable, embedder: SentenceTransformerEmbedder,
        rail: DocumentRail) -> None:
    """#26 acceptance 3: verdicts made by another rail (here another threshold) are refused at swap, with the
    command that rescans them; `index update` with the gateway's rail makes a snapshot the swap accepts."""
    root = tmp_path / "root"
    build_index(_corpus(tmp_path / "docs", CLEAN), root, embedder, progress=False, scanner=rail)
    other = document_rail(embedder, threshold=0.9)
    update_index(root, embedder, progress=False, scanner=other)
    async with gateway(make_settings(index_dir=root)) as client:  # starts on v2: its verdicts are not trusted
        refused = await client.post("/admin/index/swap", json={"version": versions(root)[-1]})
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "snapshot_mismatch"
        message = refused.json()["error"]["message"]
        assert other.identity in message and rail.identity in message and "python -m index update" in message
        report = update_index(root, embedder, progress=False, scanner=rail)
        assert report.scanned == len(FaissIndex.load(root))  # every chunk: the parent's verdicts were other's
        swapped = await client.post("/admin/index/swap", json={})
        assert swapped.status_code == 200, swapped.text
        assert swapped.json()["document_rail"]["identity"] == rail.identity
