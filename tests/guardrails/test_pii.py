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


def test_patterns_move_to_re2_where_they_can_and_quietly_stay_where_they_cannot(
        capfd: pytest.CaptureFixture[str]) -> None:
    from types import SimpleNamespace

    from presidio_analyzer import Pattern

    from guardrails.pii import linear_patterns

    plain, lookaround = Pattern("plain", r"\b\d{3}-\d{4}\b", 0.5), Pattern("behind", r"(?<![\w:])::1", 0.5)
    analyzer = SimpleNamespace(registry=SimpleNamespace(recognizers=[SimpleNamespace(patterns=[plain, lookaround])]))
    assert linear_patterns(analyzer) == 1
    assert "Error parsing" not in capfd.readouterr().err  # RE2 logs a rejected pattern unless told not to
