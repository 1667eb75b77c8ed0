"""Synthetic technical READMEs: every question's answer span is in its README, seeded, and none is the docs set's."""

from __future__ import annotations

import json
from pathlib import Path

from training.finetune.docs_eval import load_docs_qa
from training.finetune.tech_docs import corpus, write


def test_every_answer_span_is_in_its_readme_and_runs_are_seeded() -> None:
    docs, questions = corpus(20, seed=1)
    by_source = {d.source: d.text for d in docs}
    assert len(docs) == 20 and len(questions) >= 20 * 9
    for q in questions:
        start, end = q["span"]
        assert by_source[q["source"]][start:end] == q["short"], q
        assert q["short"] in q["sentence"]  # the answer sentence states what the README says
    assert corpus(20, seed=1)[1] == questions and corpus(20, seed=2)[1] != questions


def test_no_question_is_a_docs_set_question_and_no_readme_names_ragguard() -> None:
    docs, questions = corpus(50)
    asked = {q.question.lower() for q in load_docs_qa()}
    assert not asked & {q["question"].lower() for q in questions}
    assert not any("ragguard" in d.text.lower() for d in docs)


def test_write_puts_readmes_and_questions_in_a_folder(tmp_path: Path) -> None:
    n = write(3, tmp_path)
    assert len(list(tmp_path.glob("*.md"))) == 3
    assert len((tmp_path / "questions.jsonl").read_text().splitlines()) == n
    assert all(json.loads(line)["source"].startswith("techdocs/")
               for line in (tmp_path / "questions.jsonl").read_text().splitlines())
