"""The serving-distribution examples: the gateway's own retrieval and prompt, extractive cited answers, the
refusal when the gold chunk was not retrieved, a split by document, and the docs set never trained on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from service.prompt import INSTRUCTIONS
from service.settings import Settings
from training.finetune.data import REFUSAL
from training.finetune.docs_eval import load_docs_qa
from training.finetune.serving_data import build, held_out, load, save
from training.finetune.tech_docs import corpus

DATA = Path(__file__).resolve().parents[4] / "shared" / "data"
pytestmark = pytest.mark.skipif(not (DATA / "retrieval").exists(), reason="shared data not present")


@pytest.fixture(scope="module")
def splits():  # type: ignore[no-untyped-def]
    return build(DATA, limit_docs=20, held_out_share=0.25)


def test_every_example_shows_what_the_gateway_retrieves(splits) -> None:  # type: ignore[no-untyped-def]
    train, held = splits
    for ex in train + held:
        assert len(ex.passages) == Settings().top_k
        system, user = ex.messages()
        assert system["content"].startswith(INSTRUCTIONS) and f"[{Settings().top_k}] (" in system["content"]
        assert user == {"role": "user", "content": ex.question}


def test_answers_are_extractive_and_cite_the_gold_chunk(splits) -> None:  # type: ignore[no-untyped-def]
    examples = splits[0] + splits[1]
    answerable = [e for e in examples if e.answerable]
    assert {e.source for e in answerable} == {"pubmedqa", "covidqa"}
    for ex in answerable:
        assert re.findall(r"\[(\d+)\]", ex.answer) == [str(ex.cited)]
        assert ex.meta["shown"][ex.cited - 1] == ex.meta["gold"]
        sentence = re.sub(r"^(yes|no|maybe): ", "", ex.answer.lower())
        assert sentence[:30] in ex.passages[ex.cited - 1].text.lower()
    for ex in examples:
        if not ex.answerable:
            assert ex.answer == REFUSAL and ex.cited == 0
            if ex.source == "pubmedqa":  # (COVID-QA: the gold is the chunk with the span, not the article)
                assert ex.meta["gold"] not in ex.meta["shown"]
    assert {e.source for e in examples if not e.answerable} >= {"truthfulqa"}


def test_split_by_document_and_docs_set_never_trained(splits) -> None:  # type: ignore[no-untyped-def]
    train, held = splits
    held_docs = {e.meta["gold"] for e in held if e.meta["gold"]}
    assert held_docs and all(held_out(d, 0.25) for d in held_docs)
    assert not {s for e in train for s in e.meta["shown"]} & held_docs
    docs_questions = {q.question for q in load_docs_qa()}
    assert not {e.question for e in train + held} & docs_questions


def test_examples_round_trip_through_the_cache(splits, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    save(splits[0], tmp_path / "train.jsonl")
    assert load(tmp_path / "train.jsonl") == splits[0]


def test_synthetic_technical_readmes_join_the_corpus_split_by_readme() -> None:
    train, held = build(DATA, limit_docs=10, held_out_share=0.25, tech=corpus(8))
    tech = [e for e in train + held if e.source == "techdocs"]
    answered = [e for e in tech if e.answerable]
    assert len(tech) >= 8 * 9 and len(answered) >= len(tech) // 2  # most golds are retrieved among 8 look-alikes
    for ex in answered:
        assert ex.short.lower() in ex.answer.lower() and ex.meta["shown"][ex.cited - 1] == ex.meta["gold"]
    held_docs = {e.meta["gold"] for e in held if e.source == "techdocs"}
    assert not {s for e in train for s in e.meta["shown"]} & held_docs
