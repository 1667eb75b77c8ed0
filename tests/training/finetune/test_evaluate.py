"""The eval's scoring: citation format, accuracy by exact/contains match, refusals."""

from __future__ import annotations

from training.finetune.data import REFUSAL, Example, Passage
from training.finetune.evaluate import aggregate, score

PASSAGES = [Passage("A", "alpha"), Passage("B", "beta")]
YES = Example("p1", "pubmedqa", "Does it?", PASSAGES, "Yes. It does [2]", "yes", cited=2)
SPAN = Example("c1", "covidqa", "What?", PASSAGES, "The ACE2 receptor. [1]", "the ACE2 receptor", cited=1)
NONE = Example("c2-unanswerable", "covidqa", "Who?", PASSAGES, REFUSAL, "")


def test_score_answerable() -> None:
    assert score(YES, "Yes, it does [2].") == {"cites": True, "right_citation": True, "correct": True,
                                               "refused": False, "echo": False}
    assert score(YES, "No. Maybe later [3]")["correct"] is False
    assert score(YES, "No. Maybe later [3]")["cites"] is False  # [3] is not a shown passage
    assert score(SPAN, "It binds the ACE2 receptor [2].") == {"cites": True, "right_citation": False,
                                                              "correct": True, "refused": False, "echo": False}
    assert score(SPAN, "I do not know.")["refused"] is True


def test_aggregate_rates() -> None:
    rates = aggregate([YES, SPAN, NONE], ["Yes [2]", "something else", "I don't know."])
    assert rates == {"citation_rate": 0.5, "right_citation_rate": 0.5, "answer_accuracy": 0.5,
                     "refusal_rate_unanswerable": 1.0, "false_refusal_rate_answerable": 0.0,
                     "prompt_echo_rate": 0.0}


def test_an_echo_of_the_instructions_is_not_a_refusal() -> None:
    from service.prompt import INSTRUCTIONS

    echo = INSTRUCTIONS + "\n\nSources:\n[1] alpha"
    assert score(NONE, echo) == {"refused": False, "echo": True}
    assert score(YES, echo)["cites"] is False  # reciting "[1] alpha" is no citation
    assert score(NONE, "Yes. The sources do not contradict it [1].")["refused"] is False  # only the first sentence
    assert score(NONE, "I do not know: the sources do not say.")["refused"] is True
