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


def test_prose_readmes_state_the_same_facts_and_leave_the_table_ones_unchanged() -> None:
    tables, table_questions = corpus(40, seed=3)
    docs, questions = corpus(40, seed=3, prose=0.5)
    prose = [d for d in docs if "|---|" not in d.text]
    assert 10 <= len(prose) <= 30 and "## Running it" in prose[0].text
    kept = [(a, b) for a, b in zip(tables, docs, strict=True) if "|---|" in b.text]
    assert all(a == b for a, b in kept)  # a table README is the same with or without prose ones
    by_source = {d.source: d.text for d in docs}
    for q in questions:
        start, end = q["span"]
        assert by_source[q["source"]][start:end] == q["short"], q
    shorts = {(q["source"], q["short"]) for q in questions}
    assert shorts == {(q["source"], q["short"]) for q in table_questions}  # the same facts asked


def test_no_question_is_a_docs_set_question_and_no_readme_names_ragguard() -> None:
    docs, questions = corpus(50, prose=0.5, extras=1.0)
    asked = {q.question.lower() for q in load_docs_qa()}
    assert not asked & {q["question"].lower() for q in questions}
    assert not any("ragguard" in d.text.lower() for d in docs)


def test_write_puts_readmes_and_questions_in_a_folder(tmp_path: Path) -> None:
    n = write(3, tmp_path)
    assert len(list(tmp_path.glob("*.md"))) == 3
    assert len((tmp_path / "questions.jsonl").read_text().splitlines()) == n
    assert all(json.loads(line)["source"].startswith("techdocs/")
               for line in (tmp_path / "questions.jsonl").read_text().splitlines())


def test_metrics_and_errors_sections_are_appended_and_asked_about() -> None:
    plain, plain_questions = corpus(30, seed=4, prose=0.5)
    docs, questions = corpus(30, seed=4, prose=0.5, extras=0.5)
    extended = [(a, b) for a, b in zip(plain, docs, strict=True) if a.text != b.text]
    assert 5 <= len(extended) <= 25
    assert all(b.text.startswith(a.text) and "## Errors" in b.text for a, b in extended)  # only appended
    by_source = {d.source: d.text for d in docs}
    for q in questions:
        start, end = q["span"]
        assert by_source[q["source"]][start:end] == q["short"], q
        assert q["short"] in q["sentence"]
    new = [q for q in questions if q not in plain_questions]
    assert any(q["question"].startswith("What status code") for q in new)
    assert any(" metric " in q["question"] for q in new)
    assert [q for q in questions if q in plain_questions] == plain_questions  # the others asked as before


def test_absent_questions_ask_what_their_readme_does_not_state_and_change_nothing_else() -> None:
    plain_docs, plain = corpus(30, seed=5, prose=0.5, extras=0.5)
    docs, questions = corpus(30, seed=5, prose=0.5, extras=0.5, absent=3)
    assert docs == plain_docs and [q for q in questions if "split" not in q] == plain
    absent = [q for q in questions if "split" in q]
    assert len(absent) == 90 and all(q["source"] is None and "-absent-" in q["id"] for q in absent)
    by_source = {d.source: d.text for d in docs}
    for q in absent:  # a setting, endpoint, metric or error the README lacks: no value of it is in the README
        text = by_source[q["split"]]
        if (var := next((w.strip("?") for w in q["question"].split() if w.isupper() and "_" in w), None)):
            assert f"`{var}`" not in text, q
        if q["question"].startswith("Which endpoint"):
            assert q["question"].split(" ", 4)[4].rstrip("?") not in text, q
    asked = {q.question.lower() for q in load_docs_qa()}
    assert not asked & {q["question"].lower() for q in absent}
