"""The word-edited negatives of the cross-encoder's training data (real spaCy tagger, packaged model)."""

from __future__ import annotations

import random

from training.guardrails.train.cross_encoder_data import word_edited
from training.guardrails.train.grounding_data import Pair
from training.guardrails.train.word_edits import ANTONYMS, edits, vocabulary

DOC = ("The hospital admitted forty patients in March. Doctors treated the patients with oxygen. "
       "Nurses monitored the wards at night. The clinic reported fewer infections after the campaign.")


def test_antonyms_go_both_ways() -> None:
    assert ANTONYMS["increased"] == "decreased" and ANTONYMS["decreased"] == "increased"


def test_each_edit_changes_one_thing_the_evidence_does_not_say() -> None:
    sentence = "Doctors treated the patients with oxygen before the campaign."
    evidence = "Doctors treated the patients with oxygen. The clinic reported fewer infections after the campaign."
    seen: dict[str, str] = {}
    rng = random.Random(3)
    vocab = vocabulary([DOC])
    for _ in range(40):
        made = edits([sentence], [evidence], vocab, rng)[0]
        assert made is not None
        text, kind = made
        seen[kind] = text
        assert text != sentence
    assert seen["antonym"] == "Doctors treated the patients with oxygen after the campaign."
    substituted = set(seen["substitution"].lower().rstrip(".").split()) - set(sentence.lower().rstrip(".").split())
    assert len(substituted) == 1 and substituted < set(DOC.lower().replace(".", "").split())
    assert not substituted & set(evidence.lower().replace(".", "").split())  # never a word the evidence holds
    assert seen["role_swap"] == "Doctors treated the patients with campaign before the oxygen."


def test_no_edit_where_nothing_applies() -> None:
    assert edits(["Hi there, you."], ["Hi."], [{}], random.Random(0)) == [None]


def test_word_edited_negatives_keep_their_evidence() -> None:
    train = [Pair("Doctors treated the patients with oxygen at night.", "", 1, "covid_qa", "g1", DOC),
             Pair("The clinic reported more infections.", "", 0, "covid_qa", "g1", DOC)]
    out = word_edited(train, random.Random(1), 5)
    assert len(out) == 1  # only the supported claim is edited
    assert out[0].label == 0 and out[0].source.startswith("edited/")
    assert "oxygen" in out[0].evidence and out[0].claim != train[0].claim
