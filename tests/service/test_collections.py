"""#25 collections, a first slice: named indexes under INDEX_ROOT/collections/NAME served by one gateway; a request
picks one with `"ragguard": {"collection": ...}` (chat and /v1/retrieve) and gets only its documents; an unknown
one is a 404 in the envelope; each collection swaps, rolls back and follows its own pointer."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from prometheus_client import CollectorRegistry

from index.build import build_index
from index.embedder import SentenceTransformerEmbedder
from index.snapshots import set_current, versions
from service.app import create_app
from tests.conftest import MODEL, ROOT
from tests.service.test_guardrails_check import RecordingEngine

HR = "# Leave policy\n\nEvery employee gets 31 days of paid vacation a year. Parental leave is 20 weeks.\n"
SUPPORT = "# Router help\n\nTo reset the router, hold the reset button for 12 seconds until the light blinks.\n"
HR2 = HR + "\n# Sabbatical\n\nAfter seven years an employee may take a three-month sabbatical.\n"


def _corpus(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return folder


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory, embedder: SentenceTransformerEmbedder) -> Path:
    """The default collection (docs/), `hr` (two snapshots, the first current) and `support`."""
    out, src = tmp_path_factory.mktemp("collections"), tmp_path_factory.mktemp("src")
    build_index(ROOT / "docs", out, embedder, progress=False)
    hr = out / "collections" / "hr"
    build_index(_corpus(src / "hr", "leave.md", HR), hr, embedder, progress=False)
    build_index(_corpus(src / "hr2", "leave.md", HR2), hr, embedder, progress=False)
    set_current(hr, versions(hr)[0])
    build_index(_corpus(src / "support", "router.md", SUPPORT), out / "collections" / "support", embedder,
                progress=False)
    return out


async def _sources(client: httpx.AsyncClient, query: str, collection: str | None) -> set[str]:
    body: dict[str, object] = {"query": query, "top_k": 3}
    if collection is not None:
        body["ragguard"] = {"collection": collection}
    r = await client.post("/v1/retrieve", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["collection"] == collection
    return {hit["source"] for hit in r.json()["data"]}


async def test_each_request_gets_its_collections_documents_and_unknown_is_404(
        root: Path, make_settings: Callable, embedder: SentenceTransformerEmbedder) -> None:
    engine = RecordingEngine()
    app = create_app(make_settings(index_dir=root, rate_limit=""), registry=CollectorRegistry(), embedder=embedder,
                     transport=httpx.MockTransport(engine))
    async with LifespanManager(app, startup_timeout=60):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://g") as client:
            assert await _sources(client, "How many vacation days?", "hr") == {"leave.md"}
            assert await _sources(client, "How many vacation days?", "support") == {"router.md"}
            assert "leave.md" not in await _sources(client, "How many vacation days?", None)  # the default: docs/

            for collection in ("hr", "support"):
                r = await client.post("/v1/chat/completions", json={
                    "model": MODEL, "messages": [{"role": "user", "content": "How many vacation days do I get?"}],
                    "ragguard": {"collection": collection}})
                assert r.status_code == 200, r.text
            hr_prompt, support_prompt = (json.dumps(req["messages"]) for req in engine.requests[-2:])
            assert "31 days" in hr_prompt and "reset button" not in hr_prompt
            assert "reset button" in support_prompt and "31 days" not in support_prompt

            calls = len(engine.requests)
            for path, body in [("/v1/retrieve", {"query": "vacation", "ragguard": {"collection": "finance"}}),
                               ("/v1/chat/completions", {"model": MODEL, "ragguard": {"collection": "finance"},
                                                         "messages": [{"role": "user", "content": "vacation?"}]})]:
                r = await client.post(path, json=body)
                assert r.status_code == 404, r.text
                error = r.json()["error"]
                assert error["code"] == "collection_not_found" and error["param"] == "ragguard.collection"
                assert "hr" in error["message"] and "support" in error["message"]
            assert len(engine.requests) == calls  # refused before the engine

            listed = (await client.get("/admin/collections")).json()
            assert set(listed["collections"]) == {"hr", "support"}
            assert listed["collections"]["hr"]["version"] == versions(root / "collections" / "hr")[0]
            ready = (await client.get("/readyz")).json()
            assert ready["collections"] == {"hr": versions(root / "collections" / "hr")[0],
                                            "support": versions(root / "collections" / "support")[0]}


async def test_a_collection_swaps_rolls_back_and_follows_its_pointer_alone(
        root: Path, make_settings: Callable, gateway: Callable) -> None:
    hr = root / "collections" / "hr"
    v1, v2 = versions(hr)
    question = "Can I take a sabbatical?"
    async with gateway(make_settings(index_dir=root, rate_limit="", index_watch_s=0.1)) as client:
        default_version = (await client.get("/admin/index")).json()["version"]
        assert "sabbatical" not in json.dumps((await client.post("/v1/retrieve", json={
            "query": question, "ragguard": {"collection": "hr"}})).json())
        swapped = await client.post("/admin/collections/hr/swap", json={})
        assert swapped.status_code == 200 and swapped.json()["version"] == v2, swapped.text
        assert swapped.json()["pointer"] == "written"
        hits = (await client.post("/v1/retrieve", json={"query": question, "ragguard": {"collection": "hr"}})).json()
        assert "sabbatical" in hits["data"][0]["text"]
        assert (await client.get("/admin/index")).json()["version"] == default_version  # the others untouched
        rolled = await client.post("/admin/collections/hr/rollback")
        assert rolled.status_code == 200 and rolled.json()["version"] == v1
        set_current(hr, v2)  # another replica's swap of this collection
        for _ in range(50):
            if (await client.get("/admin/collections/hr")).json()["version"] == v2:
                break
            await asyncio.sleep(0.1)
        assert (await client.get("/admin/collections/hr")).json()["version"] == v2
        assert (await client.post("/admin/collections/finance/swap", json={})).status_code == 404
    set_current(hr, v1)
