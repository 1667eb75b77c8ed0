"""#25 hot reload: a changed policy file serves from the next request; a bad one (YAML, validation, an unknown
collection or rail) is logged and counted while the old policy serves on, and /admin/policy shows why."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.service.test_collections import root  # noqa: F401 - the module's index root: docs/, hr, support
from tests.service.test_errors import metric

POLICY = "name: acme\nversion: {version}\ntenants:\n  dev: {{collections: [{collection}]{extra}}}\n"
QUESTION = {"query": "How many vacation days do I get?", "top_k": 1}


async def _served(client: httpx.AsyncClient, label: str) -> httpx.Response:
    """The first /v1/retrieve answered under `label` (within 5 s)."""
    for _ in range(50):
        r = await client.post("/v1/retrieve", json=QUESTION)
        if r.headers["x-ragguard-policy"] == label:
            return r
        await asyncio.sleep(0.1)
    raise AssertionError(f"still {r.headers['x-ragguard-policy']}, not {label}")


async def test_a_good_change_serves_and_a_bad_one_leaves_the_old_policy(
        root: Path, make_settings: Callable, gateway: Callable, tmp_path: Path) -> None:  # noqa: F811
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY.format(version=1, collection="hr", extra=""))
    async with gateway(make_settings(index_dir=root, rate_limit="", policy_file=path, policy_watch_s=0.1)) as client:
        r = await _served(client, "acme@1")
        assert r.json()["collection"] == "hr" and r.json()["data"][0]["source"] == "leave.md"

        path.write_text(POLICY.format(version=2, collection="support", extra=""))
        r = await _served(client, "acme@2")
        assert r.json()["collection"] == "support" and r.json()["data"][0]["source"] == "router.md"
        assert (await client.post("/v1/retrieve", json={**QUESTION, "ragguard": {"collection": "hr"}})
                ).status_code == 403

        bad = [POLICY.format(version=3, collection="support", extra="").replace("tenants:", "tenants: ["),
               POLICY.format(version=3, collection="support", extra=", pii_mode: maybe"),
               POLICY.format(version=3, collection="finance", extra=""),
               POLICY.format(version=3, collection="support", extra=", rail_modes: {harmfull: flag}")]
        for n, text in enumerate(bad, start=1):
            path.write_text(text)
            for _ in range(50):
                if metric((await client.get("/metrics")).text, "ragguard_policy_reloads_total", result="error") == n:
                    break
                await asyncio.sleep(0.1)
            described = (await client.get("/admin/policy")).json()
            assert described["label"] == "acme@2" and described["last_error"].startswith("RAGGUARD_POLICY_FILE")
            r = await client.post("/v1/retrieve", json=QUESTION)
            assert r.status_code == 200 and r.headers["x-ragguard-policy"] == "acme@2"
        assert "harmfull" in described["last_error"]

        path.write_text(POLICY.format(version=4, collection="hr", extra=""))
        await _served(client, "acme@4")
        text = (await client.get("/metrics")).text
        assert (await client.get("/admin/policy")).json()["last_error"] is None
    assert metric(text, "ragguard_policy_reloads_total", result="error") == len(bad)
    assert metric(text, "ragguard_policy_reloads_total", result="ok") == 2
