"""The docs Q&A set and how a gateway answer to it is scored (what a new user would call right)."""

from __future__ import annotations

from pathlib import Path

from service.prompt import INSTRUCTIONS
from training.finetune.data import REFUSAL
from training.finetune.docs_eval import DocsQuestion, aggregate, load_docs_qa, score, span_match, token_f1

DOCS = Path(__file__).resolve().parents[3] / "docs"
PORT = DocsQuestion("q1", "What port does the gateway listen on by default?", ("8080",), "configuration.md")
NONE = DocsQuestion("u1", "Which Python version does ragguard require?", (), None)


def _body(answer: str, sources: list[str], verdicts: list[str] = ()) -> dict:  # type: ignore[assignment]
    return {"choices": [{"message": {"content": answer}}],
            "citations": [{"index": i, "source": s} for i, s in enumerate(sources, start=1)],
            "ragguard": {"grounding": {"sentences": [{"verdict": v} for v in verdicts]}}}


def test_the_set_is_written_from_docs_with_unanswerable_questions() -> None:
    questions = load_docs_qa()
    assert len(questions) >= 40 and len({q.id for q in questions}) == len(questions)
    unanswerable = [q for q in questions if not q.answerable]
    assert 8 <= len(unanswerable) <= 12 and all(q.source is None for q in unanswerable)
    for q in questions:
        if q.answerable:
            text = (DOCS / q.source).read_text().lower()  # type: ignore[operator]
            assert any(span_match(a, text) for a in q.answers), q.id


def test_a_right_cited_answer_scores_and_the_wrong_source_does_not() -> None:
    row = score(PORT, _body("The gateway listens on port 8080 by default [2].", ["api.md", "configuration.md"],
                            ["supported"]))
    assert row["correct"] and row["right_citation"] and not row["refused"] and row["f1"] > 0.1
    wrong = score(PORT, _body("It listens on port 8080 [1].", ["api.md", "configuration.md"]))
    assert wrong["correct"] and not wrong["right_citation"]
    assert not score(PORT, _body("It listens on port 8081 [2].", ["api.md", "configuration.md"]))["correct"]
    recited = INSTRUCTIONS + "\n\nSources:\n[1] (Configuring the gateway) The gateway listens on port 8080"
    assert not score(PORT, _body(recited, ["configuration.md"]))["correct"]  # holds the answer, does not give it


def test_refusals_and_echoes_are_counted_apart() -> None:
    rows = [score(PORT, _body(REFUSAL, ["configuration.md"], ["refusal"])),
            score(NONE, _body(REFUSAL, ["api.md"], ["refusal"])),
            score(NONE, _body("Answer the question using only the numbered sources below. [1]", ["api.md"],
                              ["unsupported"]))]
    rates = aggregate([PORT, NONE, NONE], rows)
    assert rates["false_refusal_rate_answerable"] == 1.0 and rates["answer_accuracy"] == 0.0
    assert rates["refusal_rate_unanswerable"] == 0.5 and rates["prompt_echo_rate"] == round(1 / 3, 3)
    assert rates["supported_sentence_share"] == 0.0 and rates["refusal_sentence_share"] == round(2 / 3, 3)


def test_span_match_keeps_ports_paths_and_variables_whole() -> None:
    assert span_match("http://127.0.0.1:8081", "It defaults to `http://127.0.0.1:8081` [1].")
    assert not span_match("127.0.0.1:8081", "It listens on 127.0.0.1:8080 [1].")
    assert span_match("RAGGUARD_ENGINE_URL", "Set RAGGUARD_ENGINE_URL [1].")
    assert token_f1("1,000,000 bytes", "1,000,000 bytes") == 1.0 and token_f1("400", "It is 413.") == 0.0
