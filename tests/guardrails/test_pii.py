"""The PII rail on real Presidio with the packaged spaCy model."""

from __future__ import annotations

import pytest

from guardrails.pii import PIIRail
from guardrails.verdict import Outcome


@pytest.fixture(scope="module")
def rail() -> PIIRail:
    return PIIRail()


def test_email_and_phone_are_masked(rail: PIIRail) -> None:
    masked, verdict = rail.mask("Contact me at jane.doe@example.com or 212-555-0147 about the invoice.")
    assert verdict.outcome is Outcome.FLAG
    assert "jane.doe@example.com" not in masked and "<EMAIL_ADDRESS>" in masked
    assert "212-555-0147" not in masked and "<PHONE_NUMBER>" in masked
    assert masked.endswith("about the invoice.")


def test_credit_card_blocks(rail: PIIRail) -> None:
    text, verdict = rail.mask("My card is 4111 1111 1111 1111, please charge it.")
    assert verdict.blocked and "CREDIT_CARD" in verdict.reason
    assert text.startswith("My card")


def test_clean_text_passes(rail: PIIRail) -> None:
    text = "What port does the gateway listen on?"
    masked, verdict = rail.mask(text)
    assert masked == text
    assert verdict.outcome is Outcome.PASS


def test_lean_pipeline_keeps_context_words_and_names(rail: PIIRail) -> None:
    """NER alone plus lower-cased lemmas: names are still found, and context words ("driver's license")
    still lift a weak pattern above the threshold, as the full pipeline's lemmas did."""
    nlp = rail.analyzer.nlp_engine.nlp["en"]
    assert nlp.pipe_names == ["ragguard_lower_lemma", "ner"]
    found = {r.entity_type for r in rail.analyze("My driver's license number is 6940579 and I am John Smith.")}
    assert {"US_DRIVER_LICENSE", "PERSON"} <= found
