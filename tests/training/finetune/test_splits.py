"""The training mix by kind: refusals and each corpus's answerable examples in the configured shares."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from training.finetune.data import REFUSAL, Example
from training.finetune.splits import kind, mixed


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
