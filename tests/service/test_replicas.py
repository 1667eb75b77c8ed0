"""#25: replicas over one index root converge on the served snapshot. Two real gateway processes follow the
`current` pointer that a swap or rollback through one of them writes, under a running query load, with zero
failed requests; a read-only pointer keeps the swap on one replica (200, never 500); a pointer naming a
snapshot this gateway cannot serve is refused and counted while the old one serves on. The same load runs on
while the policy file is rewritten: both serve each new policy within RAGGUARD_POLICY_WATCH_S and a read, and
both refuse a bad one."""

from __future__ import annotations

import asyncio
import errno
import time
from collections.abc import Callable
from pathlib import Path

import anyio
import httpx
import pytest

from index import live
from index.embedder import SentenceTransformerEmbedder
from index.snapshots import current_version, set_current, versions
from tests.conftest import free_port
from tests.service.snapshots import three_snapshots
from tests.service.test_errors import metric

QUESTION = "How many mirrors does the heliostat field have?"
CONVERGE_S = 5.0  # documented: RAGGUARD_INDEX_WATCH_S (2 s) plus one snapshot load (README, Indexes)
POLICY_CONVERGE_S = 4.0  # documented: RAGGUARD_POLICY_WATCH_S (2 s) plus one file read (docs/policy.md)
POLICY = "name: acme\nversion: {version}\ntenants:\n  dev: {{collections: [default], top_k: {top_k}}}\n"


@pytest.fixture(scope="module")
def index_root(tmp_path_factory: pytest.TempPathFactory, embedder: SentenceTransformerEmbedder) -> Path:
    """v1: docs/; v2: docs/ plus a solar page; v3: v2 relabelled as built by another embedder; current: v1."""
    return three_snapshots(tmp_path_factory, embedder, "replicas")


class Load:
    """Concurrent /v1/retrieve calls against every replica until stopped; every status (or error) is kept."""

    def __init__(self, client: httpx.AsyncClient, urls: list[str], workers_each: int = 2) -> None:
        self.outcomes: list[int | str] = []
        self._client, self._stop = client, asyncio.Event()
        self._tasks = [asyncio.create_task(self._run(url)) for url in urls for _ in range(workers_each)]

    async def _run(self, url: str) -> None:
        while not self._stop.is_set():
            try:
                r = await self._client.post(f"{url}/v1/retrieve", json={"query": QUESTION, "top_k": 2})
                self.outcomes.append(r.status_code)
            except httpx.HTTPError as exc:  # a dropped connection is a failed request too
                self.outcomes.append(type(exc).__name__)

    async def stop(self) -> list[int | str]:
        self._stop.set()
        await asyncio.gather(*self._tasks)
        return self.outcomes


async def _top_source(client: httpx.AsyncClient, url: str) -> str:
    r = await client.post(f"{url}/v1/retrieve", json={"query": QUESTION, "top_k": 1, "mode": "dense"})
    return r.json()["data"][0]["source"]


async def _converged(client: httpx.AsyncClient, url: str, version: str, since: float) -> float:
    """Seconds from `since` until the replica at `url` serves `version` (its /readyz and /admin/index say so)."""
    while time.monotonic() - since < 30:
        if (await client.get(f"{url}/admin/index")).json()["version"] == version:
            ready = (await client.get(f"{url}/readyz")).json()  # 503 here (no engine), but it reports the index
            assert ready["index_version"] == version
            return time.monotonic() - since
        await asyncio.sleep(0.1)
    raise AssertionError(f"{url} still not serving {version} after 30 s")


async def test_a_swap_rollback_and_policy_change_reach_both_replicas_under_load(
        index_root: Path, gateway_process: Callable[..., str], tmp_path: Path) -> None:
    v1, v2, v3 = versions(index_root)
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY.format(version=1, top_k=2))
    engine = f"http://127.0.0.1:{free_port()}"  # /v1/retrieve needs no engine
    a, b = (gateway_process(engine, RAGGUARD_INDEX_DIR=str(index_root), RAGGUARD_RATE_LIMIT="",
                            RAGGUARD_POLICY_FILE=str(policy)) for _ in range(2))
    async with httpx.AsyncClient(timeout=60) as client:
        assert {await _top_source(client, a), await _top_source(client, b)} != {"solar.md"}
        load = Load(client, [a, b])
        await asyncio.sleep(1)
        started = time.monotonic()
        swapped = await client.post(f"{a}/admin/index/swap", json={"version": v2})
        assert swapped.status_code == 200, swapped.text
        assert swapped.json()["pointer"] == "written" and current_version(index_root) == v2
        swap_s = await _converged(client, b, v2, started)
        assert await _top_source(client, b) == "solar.md"
        refused = await client.post(f"{a}/admin/index/swap", json={"version": v3})  # another embedder's
        assert refused.status_code == 400 and current_version(index_root) == v2  # no pointer after a failed swap
        await asyncio.sleep(1)
        started = time.monotonic()
        rolled = await client.post(f"{a}/admin/index/rollback")
        assert rolled.status_code == 200 and rolled.json()["version"] == v1, rolled.text
        rollback_s = await _converged(client, b, v1, started)
        assert await _top_source(client, b) != "solar.md"
        policy_s = await _policy_changes(client, [a, b], policy)
        outcomes = await load.stop()
        metrics_a, metrics_b = [(await client.get(f"{url}/metrics")).text for url in (a, b)]
    policy_text = ", ".join(f"{s:.2f}" for s in policy_s)
    print(f"\nconverged: swap {swap_s:.2f}s, rollback {rollback_s:.2f}s, policy {policy_text}s "
          f"(median {sorted(policy_s)[1]:.2f}); {len(outcomes)} requests under load")
    assert swap_s < CONVERGE_S and rollback_s < CONVERGE_S and max(policy_s) < POLICY_CONVERGE_S
    assert len(outcomes) >= 20
    assert set(outcomes) == {200}, f"failed requests: {[o for o in outcomes if o != 200]}"
    assert metric(metrics_b, "ragguard_index_swaps_total", source="pointer", outcome="ok") == 2
    for text in (metrics_a, metrics_b):  # each replica read every change itself; the bad file was refused by both
        assert metric(text, "ragguard_policy_reloads_total", result="ok") == 3
        assert metric(text, "ragguard_policy_reloads_total", result="error") == 1


async def test_a_read_only_pointer_swaps_this_replica_only_and_is_not_undone(
        index_root: Path, make_settings: Callable, gateway: Callable, monkeypatch: pytest.MonkeyPatch) -> None:
    """Kubernetes mounts the index volume read-only: the swap answers 200 and says so (fault injection: the
    pointer write fails as it does on a read-only mount, even for root)."""
    v1, v2, _ = versions(index_root)
    set_current(index_root, v1)

    def read_only(root: Path, version: str) -> None:
        raise OSError(errno.EROFS, "Read-only file system", str(root / "current"))

    async with gateway(make_settings(index_dir=index_root, rate_limit="", index_watch_s=0.1)) as client:
        monkeypatch.setattr(live, "set_current", read_only)
        r = await client.post("/admin/index/swap", json={"version": v2})
        assert r.status_code == 200, r.text
        assert r.json()["version"] == v2 and r.json()["pointer"] == "read-only, this replica only"
        await asyncio.sleep(0.5)  # several looks at the unchanged pointer: the in-memory swap stays
        assert current_version(index_root) == v1 and (await client.get("/admin/index")).json()["version"] == v2
        text = (await client.get("/metrics")).text
    assert metric(text, "ragguard_index_swaps_total", source="admin", outcome="read_only") == 1


async def test_a_pointer_to_a_snapshot_that_cannot_serve_is_refused_and_counted(
        index_root: Path, make_settings: Callable, gateway: Callable) -> None:
    v1, v2, v3 = versions(index_root)
    set_current(index_root, v1)
    async with gateway(make_settings(index_dir=index_root, rate_limit="", index_watch_s=0.1)) as client:
        set_current(index_root, v3)  # another replica's (or an operator's) pointer to another embedder's index
        await asyncio.sleep(0.6)
        assert (await client.get("/admin/index")).json()["version"] == v1
        assert (await client.post("/v1/retrieve", json={"query": QUESTION})).status_code == 200
        set_current(index_root, v2)  # a good one after it is followed
        for _ in range(50):
            if (await client.get("/admin/index")).json()["version"] == v2:
                break
            await asyncio.sleep(0.1)
        text = (await client.get("/metrics")).text
    set_current(index_root, v1)
    assert metric(text, "ragguard_index_swaps_total", source="pointer", outcome="refused") == 1
    assert metric(text, "ragguard_index_swaps_total", source="pointer", outcome="ok") == 1


async def _policy_served(client: httpx.AsyncClient, url: str, label: str, since: float) -> float:
    """Seconds from `since` until the replica at `url` serves the policy `label` (/readyz and a response say so)."""
    while time.monotonic() - since < 30:
        if (await client.get(f"{url}/readyz")).json()["policy"] == label:
            r = await client.post(f"{url}/v1/retrieve", json={"query": QUESTION})
            assert r.headers["x-ragguard-policy"] == label
            return time.monotonic() - since
        await asyncio.sleep(0.05)
    raise AssertionError(f"{url} still not serving {label} after 30 s")



async def _policy_changes(client: httpx.AsyncClient, urls: list[str], path: Path) -> list[float]:
    """Three good rewrites of the policy file, then a bad one: seconds until both serve each good one."""
    seconds = []
    for version in (2, 3, 4):
        await anyio.Path(path).write_text(POLICY.format(version=version, top_k=version))
        started = time.monotonic()
        seconds.append(max([await _policy_served(client, url, f"acme@{version}", started) for url in urls]))
        r = await client.post(f"{urls[-1]}/v1/retrieve", json={"query": QUESTION})
        assert len(r.json()["data"]) == version  # the tenant's top_k, as the new policy says
        await asyncio.sleep(0.3)
    typo = "name: acme\nversion: 5\ntenants: {dev: {colections: [default]}}\n"  # refused by both
    await anyio.Path(path).write_text(typo)
    for url in urls:
        for _ in range(100):
            if metric((await client.get(f"{url}/metrics")).text, "ragguard_policy_reloads_total", result="error"):
                break
            await asyncio.sleep(0.1)
        assert (await client.get(f"{url}/readyz")).json()["policy"] == "acme@4"
    return seconds
