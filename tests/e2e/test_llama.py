"""End to end against the real llama.cpp llama-server: gateway process, OpenAI SDK, real metrics."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import free_port
from tests.e2e import road

pytestmark = pytest.mark.llama


def llama_requests(engine: str) -> float:
    """Prompt tokens the engine has processed: moves with every chat request it serves."""
    text = httpx.get(f"{engine}/metrics").text
    return sum(float(line.split()[-1]) for line in text.splitlines()
               if line.startswith(("llamacpp:prompt_tokens_total", "llamacpp:n_decode_total")))


def test_chat_with_citations(llama_engine: str, gateway_process) -> None:  # type: ignore[no-untyped-def]
    road.check_chat(gateway_process(llama_engine), max_tokens=64)


def test_streaming(llama_engine: str, gateway_process) -> None:  # type: ignore[no-untyped-def]
    road.check_stream(gateway_process(llama_engine), max_tokens=64)


def test_injection_blocked_before_engine(llama_engine: str, gateway_process) -> None:  # type: ignore[no-untyped-def]
    base = gateway_process(llama_engine)
    road.check_injection_never_reaches_engine(base, lambda: llama_requests(llama_engine))


def test_strip_policy_removes_unsupported_sentences(llama_engine: str, gateway_process) -> None:  # type: ignore[no-untyped-def]
    base = gateway_process(llama_engine)
    body = {"model": road.MODEL, "max_tokens": 96, "ragguard": {"grounding_policy": "strip"},
            "messages": [{"role": "user", "content": "Tell me a story about dragons and castles."}]}
    r = httpx.post(f"{base}/v1/chat/completions", json=body, timeout=300)
    assert r.status_code == 200
    report = r.json()["ragguard"]["grounding"]
    removed = [s for s in report["sentences"] if not s["kept"]]
    assert all(s["verdict"] == "unsupported" and s["text"] == "" for s in removed)  # removed text is not returned
    assert road.gateway_metric(base, "ragguard_grounding_sentences_total", action="removed") == len(removed)


def test_readyz_follows_the_engine(llama_engine: str, gateway_process) -> None:  # type: ignore[no-untyped-def]
    down = gateway_process(f"http://127.0.0.1:{free_port()}")
    assert httpx.get(f"{down}/readyz").status_code == 503
    up = gateway_process(llama_engine)
    ready = httpx.get(f"{up}/readyz")
    assert ready.status_code == 200 and ready.json()["index_loaded"]


def test_token_release_streams_text_before_its_verdict(llama_engine: str, gateway_process) -> None:  # type: ignore[no-untyped-def]
    """annotate + stream_release "token": text flows as the engine makes it, each sentence's verdict follows
    in a chunk of its own, and the assembled text is the whole answer."""
    from openai import OpenAI

    base = gateway_process(llama_engine)
    client = OpenAI(base_url=f"{base}/v1", api_key="unused", max_retries=0, timeout=300)
    chunks = list(client.chat.completions.create(
        model=road.MODEL, max_tokens=64, stream=True, temperature=0, seed=1,
        messages=[{"role": "user", "content": road.QUESTION}],
        extra_body={"ragguard": {"grounding_policy": "annotate", "stream_release": "token"}}))
    ext = [c.model_extra.get("ragguard") or {} for c in chunks]
    text = [c.choices[0].delta.content or "" for c in chunks]
    verdicts = [i for i, e in enumerate(ext) if "sentence" in e]
    assert verdicts, "no sentence verdicts"
    assert all(not text[i] for i in verdicts)  # a verdict chunk carries no text
    first_text = next(i for i, t in enumerate(text) if t)
    assert first_text < verdicts[0]  # text is released before its sentence is checked
    checked = [e["sentence"]["text"] for e in ext if "sentence" in e]
    assert " ".join(checked).split() == "".join(text).split()  # every released word was checked


def test_bypass_classes_never_reach_the_engine(llama_engine: str, gateway_process) -> None:  # type: ignore[no-untyped-def]
    """#20: roles, turn splitting, padding, tool messages, encodings and hiding characters are refused by the rails
    (or as too long) on the real road, and the engine's own prompt-token counter does not move."""
    from tests.service.test_adversarial import BYPASSES

    base = gateway_process(llama_engine)
    before = llama_requests(llama_engine)
    for case, messages in BYPASSES.items():
        r = httpx.post(f"{base}/v1/chat/completions", json={"model": road.MODEL, "messages": messages}, timeout=120)
        assert r.status_code in (400, 413), f"{case}: {r.status_code} {r.text[:200]}"
    assert llama_requests(llama_engine) == before


def test_self_check_asks_the_real_engine_and_counts_its_verdict(llama_engine: str, gateway_process) -> None:  # type: ignore[no-untyped-def]
    """With the self-check on and the band opened to every prompt, the check endpoint puts the prompt to the engine
    (whatever the 270M base model answers: yes, no, or something unclear that fails closed), then reports, times
    and counts the verdict."""
    base = gateway_process(llama_engine, RAGGUARD_SELF_CHECK_INPUT="true", RAGGUARD_SELF_CHECK_INPUT_FROM="0",
                           RAGGUARD_RAIL_TIMEOUT_S="120")
    before = llama_requests(llama_engine)
    r = httpx.post(f"{base}/v1/guardrails/check", timeout=300,
                   json={"messages": [{"role": "user", "content": "Which port does the gateway listen on?"}]})
    assert r.status_code == 200, r.text
    mine = next(v for v in r.json()["rails"] if v["name"] == "self_check_input")
    assert mine["verdict"] in ("pass", "block") and "self-check" in mine["reason"]
    assert llama_requests(llama_engine) > before
    assert road.gateway_metric(base, "ragguard_rail_verdicts_total", rail="self_check_input",
                               verdict=mine["verdict"]) == 1
    assert road.gateway_metric(base, "ragguard_rail_duration_seconds_count", rail="self_check_input") == 1
