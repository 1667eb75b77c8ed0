from collections.abc import Callable

import pytest


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
async def test_retrieve_ranks_chunks_with_the_engine_down(make_settings: Callable, gateway: Callable,
                                                        mode: str) -> None:
    async with gateway(make_settings()) as client:  # engine_url points at a closed port
        r = await client.post("/v1/retrieve", json={"query": "Which metric counts rail verdicts?", "top_k": 3,
                                                    "mode": mode})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["mode"] == mode and 1 <= len(body["data"]) <= 3
    first = body["data"][0]
    assert first["source"] == "metrics.md" and {"id", "source", "text", "score"} <= first.keys()
    assert [d["score"] for d in body["data"]] == sorted((d["score"] for d in body["data"]), reverse=True)


async def test_default_mode_comes_from_settings_and_bad_modes_are_refused(make_settings: Callable,
                                                                          gateway: Callable) -> None:
    async with gateway(make_settings(retrieval_mode="bm25")) as client:
        ok = await client.post("/v1/retrieve", json={"query": "default port"})
        bad = await client.post("/v1/retrieve", json={"query": "default port", "mode": "sparse"})
    assert ok.json()["mode"] == "bm25"
    assert bad.status_code == 400 and bad.json()["error"]["type"] == "invalid_request_error"
