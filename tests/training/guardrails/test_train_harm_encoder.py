import collections
import random

import numpy as np

from training.guardrails.train.harm_encoder import QUOTA, balanced_batches
from training.guardrails.train.harm_encoder_calibrate import lowest_threshold


def _rows() -> list[tuple[str, str, str]]:
    rows = [(f"harmful {i}", "harmful", "generated") for i in range(70)]
    rows += [(f"benign {i}", "benign", "other") for i in range(40)]
    rows += [(f"xstest {i}", "benign", "xstest") for i in range(5)]
    rows += [(f"inject {i}", "injection", "deepset") for i in range(6)]
    return rows


def test_an_epoch_reads_every_harmful_text_once_in_class_balanced_batches() -> None:
    rows = _rows()
    length = {r[0]: len(r[0]) for r in rows}
    batches = balanced_batches(rows, 16, random.Random(0), length)
    seen = collections.Counter(r[0] for b in batches for r in b if r[1] == "harmful")
    assert len(batches) == 10 and set(seen.values()) == {1} and len(seen) == 70
    for batch in batches:
        assert collections.Counter(r[1] for r in batch) == QUOTA
    # hard negatives (XSTest) sit twice in the benign pool: drawn about twice as often as an ordinary benign text
    drawn = collections.Counter(r[0] for b in batches for r in b if r[1] == "benign")
    assert sum(v for k, v in drawn.items() if k.startswith("xstest")) >= 8


def test_threshold_keeps_each_benign_source_within_its_false_positive_limit() -> None:
    scores = np.array([0.1] * 98 + [0.95, 0.97] + [0.2] * 19 + [0.9])
    sources = np.array(["other"] * 100 + ["xstest"] * 20)
    t = lowest_threshold(scores, sources, {"*": 0.02, "xstest": 0.05}, cap=0.99)
    assert (scores[sources == "other"] >= t).mean() <= 0.02
    assert (scores[sources == "xstest"] >= t).mean() <= 0.05
    assert t == 0.3  # the lowest such threshold (the floor): each source keeps exactly its allowed blocks
    assert lowest_threshold(np.array([0.999, 0.998]), np.array(["a", "a"]), {"*": 0.0}, cap=0.99) == 0.99


def test_prose_pieces_come_from_their_own_pool_one_per_batch() -> None:
    rows = _rows() + [(f"prose {i}", "benign", "prose") for i in range(30)]
    batches = balanced_batches(rows, 16, random.Random(0))
    assert len(batches) == 10
    for batch in batches:
        assert sum(r[2] == "prose" for r in batch) == 1  # one more per batch: the other pools keep their quota
        assert collections.Counter(r[1] for r in batch if r[2] != "prose") == QUOTA
    assert balanced_batches(_rows(), 16, random.Random(0)) == balanced_batches(_rows(), 16, random.Random(0))


def test_each_prose_source_gets_its_own_draw_per_batch() -> None:
    rows = _rows() + [(f"prose {i}", "benign", "prose") for i in range(30)] + \
        [(f"doc {i}", "benign", "docs") for i in range(30)]
    for batch in balanced_batches(rows, 16, random.Random(0)):
        sources = collections.Counter(r[2] for r in batch)
        assert sources["prose"] == 1 and sources["docs"] == 1 and len(batch) == 18


def test_the_calibration_recorder_reads_every_piece_inside_the_scorer(embedder) -> None:  # type: ignore[no-untyped-def]
    """The recorder stands in for the encoder in PromptScorer (as calibration runs it) and sees every piece."""
    from guardrails.classifier import PromptScorer
    from training.guardrails.train.harm_encoder_calibrate import Recorder

    class Fixed:
        threshold = 0.99

        def probs(self, texts: list[str]) -> np.ndarray:
            return np.tile([0.7, 0.1, 0.2], (len(texts), 1)).astype(np.float32)

    recorder = Recorder(Fixed())  # type: ignore[arg-type]
    text = "Tell me about the gateway. " * 40
    scores = PromptScorer(embedder, cache_size=0, harm_encoder=recorder).score(text)  # type: ignore[arg-type]
    assert len(recorder.last[1]) == scores.pieces and scores.encoded is not None
    assert abs(scores.encoded.harmful - 0.2) < 1e-6
