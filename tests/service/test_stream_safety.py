"""Acceptance 4: a streamed answer whose later sentence fails the output check is never delivered in full."""

import json
from collections.abc import Callable

import pytest

from tests.conftest import MODEL, free_port
from tests.faulty_engine import faulty_engine

CHAT = "/v1/chat/completions"
SUPPORTED = "The gateway listens on port 8080 by default (`RAGGUARD_PORT`) and binds to 127.0.0.1."  # docs/
UNSUPPORTED = "Its founders were a committee of penguins who wrote it in Antarctica in 1887."
QUESTION = {"model": MODEL, "stream": True,
            "messages": [{"role": "user", "content": "What port does the gateway listen on by default?"}]}


async def stream_chunks(client, policy: str) -> tuple[str, list[dict]]:  # type: ignore[no-untyped-def]
    r = await client.post(CHAT, json={**QUESTION, "ragguard": {"grounding_policy": policy}})
    assert r.status_code == 200, r.text
    data = [line[6:] for line in r.text.splitlines() if line.startswith("data: ")]
    assert data[-1] == "[DONE]"
    return r.text, [json.loads(d) for d in data[:-1]]


def content(chunks: list[dict]) -> str:
    return "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)


def views(chunks: list[dict]) -> list[dict]:
    """Every checked-sentence view in the stream: per-sentence events and the final report."""
    ext = [c.get("ragguard", {}) for c in chunks]
    return [e["sentence"] for e in ext if "sentence" in e] + \
        [v for e in ext for v in e.get("grounding", {}).get("sentences", [])]


@pytest.mark.parametrize("policy", ["strip", "refuse"])
@pytest.mark.parametrize("expose", [False, True])
async def test_unsupported_later_sentence_is_never_streamed(make_settings: Callable, gateway: Callable,
                                                            policy: str, expose: bool) -> None:
    port = free_port()
    with faulty_engine(port, "trickle", answer=f"{SUPPORTED} {UNSUPPORTED}", delay_s=0.01):
        # refuse_min_supported=1.0: refuse holds the answer and refuses unless every sentence is supported
        settings = make_settings(engine_url=f"http://127.0.0.1:{port}", refuse_min_supported=1.0,
                                 rail_timeout_s=60.0, expose_removed_text=expose)
        async with gateway(settings) as client:
            raw, chunks = await stream_chunks(client, policy)
    assert "penguins" not in content(chunks)  # never in the answer the client (or an OpenAI SDK) assembles
    removed_views = [v for v in views(chunks) if v["kept"] is False]
    assert any(v["verdict"] == "unsupported" for v in removed_views)  # (refuse removes the supported one too)
    if not expose:  # by default the removed text is nowhere in what the client gets, labelled or not
        assert "penguins" not in raw and all(v["text"] == "" for v in removed_views)
    else:  # RAGGUARD_EXPOSE_REMOVED_TEXT: only where it is labelled removed, for clients to show what was withheld
        labelled = [v for v in views(chunks) if "penguins" in v["text"]]
        assert labelled and all(v["kept"] is False for v in labelled)
        assert raw.count("penguins") == len(labelled)
    if policy == "strip":
        assert "8080" in content(chunks)  # the supported first sentence is delivered
        removed = [c for c in chunks if not c["choices"][0]["delta"].get("content")
                   and c.get("ragguard", {}).get("sentence", {}).get("kept") is False]
        assert len(removed) == 1  # the documented removal event
    else:
        assert chunks[-1]["choices"][0]["finish_reason"] == "content_filter"
        assert content(chunks).strip() == settings.refusal_message
