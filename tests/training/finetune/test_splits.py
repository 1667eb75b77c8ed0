"""The training mix by kind: refusals and each corpus's answerable examples in the configured shares."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from training.finetune.data import REFUSAL, Example, Passage
from training.finetune.splits import NEAR_MISS, kind, mixed, near_miss


def _examples() -> list[Example]:
    out = [Example(f"c{i}", "covidqa", "q?", [], "An answer [1].", "answer", 1) for i in range(50)]
    out += [Example(f"p{i}", "pubmedqa", "q?", [], "Yes: a sentence [1].", "yes", 1) for i in range(50)]
    return out + [Example(f"r{i}", "truthfulqa", "q?", [], REFUSAL, "") for i in range(50)]


def test_mix_draws_each_kind_in_its_share() -> None:
    chosen = mixed(_examples(), {"covidqa": 0.6, "pubmedqa": 0.2, "refusal": 0.2}, 40, random.Random(0))
    assert Counter(map(kind, chosen)) == {"covidqa": 24, "pubmedqa": 8, "refusal": 8}
    assert len({e.id for e in chosen}) == 40


def test_mix_takes_at_most_what_a_kind_has_and_refuses_unknown_kinds() -> None:
    chosen = mixed(_examples(), {"covidqa": 1.0}, 80, random.Random(0))
    assert Counter(map(kind, chosen)) == {"covidqa": 50}
    with pytest.raises(ValueError, match="lacks"):
        mixed(_examples(), {"squad": 1.0}, 10, random.Random(0))


def _readme_example(default: str = "8080") -> Example:
    passages = [Passage("Acme", "Acme listens on port 8080 by default."),
                Passage("Acme", "ACME_LOG_LEVEL defaults to info."), Passage("Other", f"Other serves on {default}.")]
    return Example("t1", "techdocs", "Which port does Acme listen on?", passages, "Acme listens on port 8080 [1].",
                   "8080", 1)


def test_a_near_miss_drops_the_gold_passage_and_refuses() -> None:
    miss = near_miss(_readme_example(default="9090"))
    assert miss is not None and kind(miss) == NEAR_MISS
    assert [p.text for p in miss.passages] == ["ACME_LOG_LEVEL defaults to info.", "Other serves on 9090."]
    assert (miss.answer, miss.short, miss.cited, miss.question) == (REFUSAL, "", 0, "Which port does Acme listen on?")


def test_no_near_miss_when_another_passage_holds_the_answer_or_the_answer_is_not_a_span() -> None:
    assert near_miss(_readme_example(default="8080")) is None
    assert near_miss(Example("p1", "pubmedqa", "q?", [Passage("a", "b")], "Yes: b [1].", "yes", 1)) is None


def test_mix_can_ask_for_near_misses_beside_refusals() -> None:
    examples = _examples() + [_readme_example("9090")]
    chosen = mixed(examples, {"covidqa": 0.5, "refusal": 0.25, NEAR_MISS: 0.25}, 8, random.Random(0))
    assert Counter(map(kind, chosen)) == {"covidqa": 4, "refusal": 2, NEAR_MISS: 1}  # one README had a near miss


def test_an_absent_question_is_its_own_kind_only_when_its_readme_was_retrieved() -> None:
    def absent(shown: list[str]) -> Example:
        return Example("techdocs-00001-absent-0", "techdocs", "What does KESTREL_WORKERS default to?",
                       [Passage("t", "x")], REFUSAL, "", 0,
                       {"gold": None, "shown": shown, "absent": "techdocs/00001-kestrel"})

    assert kind(absent(["techdocs/00001-kestrel", "techdocs/00002-lumen"])) == "absent"
    assert kind(absent(["techdocs/00002-lumen"])) == "absent_elsewhere"
