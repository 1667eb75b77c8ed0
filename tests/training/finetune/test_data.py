"""The training data: the gateway's own prompt, citations that point at the right passage, a clean split."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from service.prompt import INSTRUCTIONS
from training.finetune.config import FinetuneConfig
from training.finetune.data import REFUSAL, build_splits

DATA = Path(__file__).resolve().parents[4] / "shared" / "data"
pytestmark = pytest.mark.skipif(not (DATA / "retrieval").exists(), reason="shared data not present")


@pytest.fixture(scope="module")
def splits():  # type: ignore[no-untyped-def]
    return build_splits(DATA, train_size=60, eval_size=20, unanswerable=0.3, max_chars=420, seed=0)


def test_split_is_by_question_and_reproducible(splits) -> None:  # type: ignore[no-untyped-def]
    train, held_out = splits
    assert len(train) == 60 and len(held_out) == 20
    assert not {e.question for e in train} & {e.question for e in held_out}
    again, _ = build_splits(DATA, train_size=60, eval_size=20, unanswerable=0.3, max_chars=420, seed=0)
    assert [e.answer for e in again] == [e.answer for e in train]


def test_prompt_is_the_gateways(splits) -> None:  # type: ignore[no-untyped-def]
    ex = splits[0][0]
    system, user = ex.messages()
    assert system["role"] == "system" and system["content"].startswith(INSTRUCTIONS)
    assert "[1] (" in system["content"] and "[2] (" in system["content"]
    assert user == {"role": "user", "content": ex.question}


def test_answers_cite_the_passage_that_holds_them(splits) -> None:  # type: ignore[no-untyped-def]
    examples = splits[0] + splits[1]
    answerable = [e for e in examples if e.answerable]
    assert {e.source for e in answerable} == {"pubmedqa", "covidqa"}
    for ex in answerable:
        assert re.findall(r"\[(\d+)\]", ex.answer) == [str(ex.cited)]
        if ex.source == "covidqa":
            assert ex.short.split()[0] in ex.passages[ex.cited - 1].text
        else:
            assert ex.answer.lower().startswith(ex.short)
    unanswerable = [e for e in examples if not e.answerable]
    assert len(unanswerable) >= 0.25 * len(examples)
    assert all(e.answer == REFUSAL and e.cited == 0 for e in unanswerable)


def test_config_file_loads_with_overrides() -> None:
    cfg = FinetuneConfig.load(train_size=8)
    assert cfg.train_size == 8 and cfg.lora.r <= 16 and cfg.data == "serving" and cfg.lora.first_layer == 0
    assert cfg.adapter_dir == Path("var/finetune/adapters") / cfg.name  # a candidate, shipped only when better
    gpu = FinetuneConfig.load(Path(__file__).resolve().parents[3] / "training" / "finetune" / "config.cuda.yaml")
    assert gpu.device == "cuda" and gpu.checkpoint_dir != cfg.checkpoint_dir
