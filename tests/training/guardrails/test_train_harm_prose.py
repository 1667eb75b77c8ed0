"""Long benign prose for the harmful rail: packed at sentence ends, held out by source and article."""

from __future__ import annotations

from pathlib import Path

import pytest

from training.guardrails.train.harm_prose import HELD_ARTICLES, covid_articles, heldout_prompts, prompts

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
