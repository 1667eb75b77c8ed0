import time
from collections.abc import Callable

import numpy as np
import pytest

from tests.conftest import MODEL


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


async def test_a_follow_up_question_is_searched_without_waiting_for_the_prompt_embedding(
        make_settings: Callable, gateway: Callable) -> None:
    """In a multi-turn chat the rails embed the whole conversation joined; retrieval embeds the last question itself
    at once instead of waiting for that vector (here made slow) it will not use."""
    async with gateway(make_settings()) as client:  # engine down: the road stops after retrieval (503)
        road, events, found = client.app.state.gateway.road, [], []
        real, index = road.inputs.embedder, road.retrieval.index.default
        real_retrieve = index.retrieve

        class SlowOnJoinedTurns:
            def __init__(self) -> None:
                self.name, self.dim = real.name, real.dim

            def embed(self, texts: list[str]) -> np.ndarray:
                events.append(("start", texts[0]))
                if "\n" in texts[0]:
                    time.sleep(0.5)
                events.append(("end", texts[0]))
                return real.embed(texts)

        road.inputs.embedder = road.retrieval.embedder = SlowOnJoinedTurns()
        index.retrieve = lambda *args: found.append(hits := real_retrieve(*args)) or hits
        question = "Which metric counts rail verdicts?"
        r = await client.post("/v1/chat/completions", json={"model": MODEL, "messages": [
            {"role": "user", "content": "Tell me about the gateway."},
            {"role": "assistant", "content": "It checks prompts and answers."},
            {"role": "user", "content": question}]})
    assert r.status_code == 503, r.text
    assert found[0][0].chunk.source == "metrics.md"
    joined = "Tell me about the gateway.\nIt checks prompts and answers.\n" + question
    assert events.index(("start", question)) < events.index(("end", joined))
