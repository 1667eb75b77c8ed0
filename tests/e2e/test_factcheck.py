"""Acceptance: with the real llama engine, a wrong answer of the small model is caught by the trained
grounding rail, removed by the `strip` policy, and counted; the same while streaming.

Gemma 3 270M at temperature 0 does not answer this question: it recites the gateway's instructions
("Answer the question using only the numbered sources below. ...") instead of the port — text no source
supports. Few requests: the engine is slow on 2 cores.
"""

from __future__ import annotations

import httpx

from tests.e2e import road

QUESTION = "Which port does the gateway listen on?"
# The removed sentences' text is reported (RAGGUARD_EXPOSE_REMOVED_TEXT) so the test can see what was stripped.
ENV = {"RAGGUARD_GROUNDING_RAIL": "model", "RAGGUARD_GROUNDING_TIMEOUT_S": "60", "RAGGUARD_ENGINE_TIMEOUT_S": "300",
       "RAGGUARD_EXPOSE_REMOVED_TEXT": "true"}


def _body(stream: bool) -> dict:
    return {"model": road.MODEL, "max_tokens": 60, "temperature": 0, "seed": 1, "stream": stream,
            "ragguard": {"grounding_policy": "strip"}, "messages": [{"role": "user", "content": QUESTION}]}


def _removed(report: dict) -> list[dict]:
    removed = [s for s in report["sentences"] if not s["kept"]]
    assert removed, "the wrong answer was not caught"
    assert all(s["verdict"] == "unsupported" for s in removed)
    return removed


def test_wrong_answer_is_stripped_and_counted(llama_engine: str, gateway_process) -> None:  # type: ignore[no-untyped-def]
    base = gateway_process(llama_engine, **ENV)
    before = road.gateway_metric(base, "ragguard_rail_verdicts_total", rail="grounding", verdict="unsupported")
    r = httpx.post(f"{base}/v1/chat/completions", json=_body(stream=False), timeout=600)
    assert r.status_code == 200, r.text
    body = r.json()
    removed = _removed(body["ragguard"]["grounding"])
    content = body["choices"][0]["message"]["content"]
    assert all(s["text"] not in content for s in removed)
    assert any("using only the numbered sources" in s["text"] for s in removed)
    after = road.gateway_metric(base, "ragguard_rail_verdicts_total", rail="grounding", verdict="unsupported")
    assert after - before >= len(removed)
    assert road.gateway_metric(base, "ragguard_grounding_sentences_total", action="removed") == len(removed)

    # the same answer while streaming: removed sentences never reach the client
    with httpx.stream("POST", f"{base}/v1/chat/completions", json=_body(stream=True), timeout=600) as s:
        assert s.status_code == 200
        events = [line[6:] for line in s.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [httpx.Response(200, content=e).json() for e in events[:-1]]
    streamed = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c.get("choices"))
    report = next(c["ragguard"]["grounding"] for c in reversed(chunks) if "grounding" in c.get("ragguard", {}))
    streamed_removed = _removed(report)
    assert all(s["text"] not in streamed for s in streamed_removed)
    assert road.gateway_metric(base, "ragguard_grounding_sentences_total", action="removed") == \
        len(removed) + len(streamed_removed)


def test_llm_judge_gives_a_second_opinion_from_the_real_engine(llama_engine: str, gateway_process) -> None:  # type: ignore[no-untyped-def]
    """With the judge configured for the grounding endpoint, each claim the model rail passed is put to the
    engine (whatever the 270M base model answers, it is asked, and the verdict is counted)."""
    base = gateway_process(llama_engine, **ENV, RAGGUARD_LLM_JUDGE_ROUTES='["/v1/guardrails/grounding"]')
    r = httpx.post(f"{base}/v1/guardrails/grounding", timeout=600, json={
        "answer": "The gateway listens on port 8080 [1].",
        "passages": ["The gateway binds 127.0.0.1:8080 unless RAGGUARD_PORT is set."]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["judge"] == {"used": True, "model": road.MODEL}
    asked = sum(road.gateway_metric(base, "ragguard_rail_verdicts_total", rail="llm_judge", verdict=v)
                for v in ("supported", "unsupported"))
    assert asked == 1
    claim = body["claims"][0]
    assert claim["verdict"] == "supported" or "LLM judge" in claim["reason"]
