import dataclasses

import numpy as np
import pytest

from guardrails.claims import is_citation_only, is_refusal, parse_claim
from guardrails.grounding_cross_encoder import ONNX_FILE, CrossEncoder, top_evidence
from guardrails.grounding_model import MODEL_DIR
from guardrails.verdict import SentenceCheck


@pytest.fixture(scope="module")
def scorer() -> CrossEncoder:
    return CrossEncoder(MODEL_DIR / ONNX_FILE)


def test_the_committed_model_is_small_int8() -> None:
    assert (MODEL_DIR / ONNX_FILE).stat().st_size < 30_000_000


def test_support_ranks_above_a_changed_fact(scorer: CrossEncoder) -> None:
    evidence = "The gateway listens on port 8080 by default. Requests larger than 1 MiB are refused."
    right, negated, foreign = scorer.score([evidence] * 3, [
        "By default the gateway listens on port 8080.",
        "Requests larger than 1 MiB are not refused.",
        "Bananas are an excellent source of potassium for athletes."])
    assert right > negated and right > foreign
    assert all(0.0 <= s <= 1.0 for s in (right, negated, foreign))


def test_evidence_is_the_nearest_sentences_in_reading_order() -> None:
    sentences = ["A first.", "B second.", "C third.", "D fourth."]
    assert top_evidence(sentences, np.array([0.9, 0.1, 0.5, 0.8]), k=3) == "A first. C third. D fourth."
    assert top_evidence(sentences[:1], np.array([0.2])) == "A first."


@pytest.mark.parametrize("sentence", ["I do not know: the sources do not say.",
                                      "I can't answer that from the available sources.",
                                      "The sources do not say [1].", "Sorry, I don't know."])
def test_refusals(sentence: str) -> None:
    assert is_refusal(parse_claim(sentence))


@pytest.mark.parametrize("sentence", ["The gateway listens on port 8080 [1].",
                                      "I do not know of any engine other than vLLM and llama.cpp that the gateway "
                                      "supports, but the sources list both of them with their URLs and timeouts."])
def test_claims_are_not_refusals(sentence: str) -> None:
    assert not is_refusal(parse_claim(sentence)) and not is_citation_only(parse_claim(sentence))


def test_citation_only_fragments() -> None:
    assert is_citation_only(parse_claim("[1].")) and is_citation_only(parse_claim("[1][2]"))


def test_the_verdict_follows_supported() -> None:
    check = SentenceCheck("x", True, 0.9, 0)
    assert check.verdict == "supported"
    assert dataclasses.replace(check, supported=False).verdict == "unsupported"
    refusal = SentenceCheck("I do not know.", True, 1.0, None, verdict="refusal")
    assert dataclasses.replace(refusal, reason="r").verdict == "refusal"
