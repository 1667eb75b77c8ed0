"""POST /v1/guardrails/grounding: the fact-check alone, with the engine down (nothing listens on its URL)."""

from collections.abc import Callable

from tests.service.test_errors import metric

URL = "/v1/guardrails/grounding"
PASSAGES = ["The gateway binds 127.0.0.1:8080 unless RAGGUARD_PORT is set.",
            "Retrieval uses a FAISS inner-product index built by the index CLI."]


async def test_supported_answer(make_settings: Callable, gateway: Callable) -> None:
    async with gateway(make_settings()) as client:
        r = await client.post(URL, json={"answer": "The gateway listens on port 8080 [1]. Retrieval uses FAISS.",
                                         "passages": PASSAGES, "question": "Which port?"})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["supported"] is True and 0.0 <= body["score"] <= 1.0
        assert [c["verdict"] for c in body["claims"]] == ["supported", "supported"]
        assert body["claims"][0]["citations"] == [1] and body["claims"][1]["citation"] == 2
        assert body["judge"]["used"] is False


async def test_wrong_claim_is_flagged_and_counted(make_settings: Callable, gateway: Callable) -> None:
    async with gateway(make_settings()) as client:
        r = await client.post(URL, json={"answer": "The gateway listens on port 8080. It listens on port 9137 [3].",
                                         "passages": PASSAGES})
        body = r.json()
        assert r.status_code == 200 and body["supported"] is False
        right, wrong = body["claims"]
        assert right["verdict"] == "supported" and wrong["verdict"] == "unsupported"
        assert "9137" in wrong["reason"] and "[3]" in wrong["reason"]
        assert body["score"] == wrong["score"] < right["score"]
        text = (await client.get("/metrics")).text
        assert metric(text, "ragguard_rail_verdicts_total", rail="grounding", verdict="unsupported") == 1


async def test_no_passages_means_unsupported(make_settings: Callable, gateway: Callable) -> None:
    async with gateway(make_settings()) as client:
        body = (await client.post(URL, json={"answer": "Anything at all.", "passages": []})).json()
        assert body["supported"] is False and body["score"] == 0.0


async def test_bad_request_uses_the_error_envelope(make_settings: Callable, gateway: Callable) -> None:
    async with gateway(make_settings()) as client:
        r = await client.post(URL, json={"passages": PASSAGES})
        assert r.status_code == 400 and r.json()["error"]["param"] == "answer"


async def test_a_failing_check_fails_closed(make_settings: Callable, gateway: Callable) -> None:
    async with gateway(make_settings()) as client:
        rail = client.app.state.gateway.road.output.rail  # type: ignore[attr-defined]

        def broken(sentences: list[str], hits: list) -> None:
            raise RuntimeError("model file unreadable")

        rail.check = broken
        r = await client.post(URL, json={"answer": "The gateway listens on port 8080.", "passages": PASSAGES})
        assert r.status_code == 503 and r.json()["error"]["code"] == "rail_failed"


async def test_the_embedding_baseline_can_be_selected(make_settings: Callable, gateway: Callable) -> None:
    async with gateway(make_settings(grounding_rail="embedding")) as client:
        body = (await client.post(URL, json={"answer": "The gateway listens on port 8080.",
                                             "passages": PASSAGES})).json()
        assert body["claims"][0]["reason"] == "" and 0.0 <= body["score"] <= 1.0


async def test_llm_judge_is_skipped_and_says_so_while_the_engine_is_down(make_settings: Callable,
                                                                         gateway: Callable) -> None:
    async with gateway(make_settings(llm_judge_routes=[URL])) as client:
        r = await client.post(URL, json={"answer": "The gateway listens on port 8080 [1].", "passages": PASSAGES})
        body = r.json()
        assert r.status_code == 200 and body["supported"] is True  # the model rail's verdict stands
        assert body["judge"]["used"] is False and "engine is unavailable" in body["judge"]["reason"]
        text = (await client.get("/metrics")).text
        assert metric(text, "ragguard_rail_bypass_total", rail="llm_judge", reason="engine_unavailable") == 1
