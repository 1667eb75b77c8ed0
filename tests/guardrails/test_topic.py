"""The topic rail on the real embedder."""

from __future__ import annotations

from guardrails.topic import TopicRail
from guardrails.verdict import Outcome
from index.embedder import SentenceTransformerEmbedder


def test_denied_topic_is_blocked_and_others_pass(embedder: SentenceTransformerEmbedder) -> None:
    rail = TopicRail(embedder, denied=["investment advice: which stocks or crypto to buy"])
    question = "Which cryptocurrency should I buy this week to get rich?"
    verdict = rail.check(question, embedder.embed([question])[0])
    assert verdict.outcome is Outcome.BLOCK
    assert "investment advice" in verdict.reason
    assert not rail.check("How do I configure the gateway's request timeout?").blocked


def test_allowed_topics_block_off_topic(embedder: SentenceTransformerEmbedder) -> None:
    rail = TopicRail(embedder, allowed=["questions about the ragguard gateway, its configuration and metrics",
                                        "medical and biomedical research questions"])
    assert not rail.check("Which Prometheus metrics does the gateway export?").blocked
    assert rail.check("Write me a love poem about pizza.").blocked
