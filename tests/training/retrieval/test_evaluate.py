from pathlib import Path

import pytest

from index.base import Chunk, Hit
from index.chunking import Document
from index.embedder import SentenceTransformerEmbedder, load_embedder
from tests.conftest import RecordingEmbedder
from training.retrieval.evaluate import QASet, Question, evaluate, metrics


def test_recall_and_mrr_count_the_first_gold_hit() -> None:
    gold, other = Chunk("a#0", "a", "a", "x", 0, 1), Chunk("b#0", "b", "b", "y", 0, 1)
    questions = [Question("1", "q", "a"), Question("2", "q", "a")]
    result = metrics([[Hit(other, 1.0), Hit(gold, 0.5)], [Hit(other, 1.0)]], questions)
    assert result == {"recall@1": 0.0, "recall@5": 0.5, "recall@10": 0.5, "mrr": 0.25}


def test_answer_spans_pick_the_chunk_that_holds_them() -> None:
    q = Question("1", "q", "doc", span=(120, 140))
    assert q.is_gold(Chunk("doc#1", "doc", "t", "x", 100, 200))
    assert not q.is_gold(Chunk("doc#0", "doc", "t", "x", 0, 125))


TOPICS = ["volcanic eruptions and lava flows", "sourdough bread fermentation", "orbital mechanics of comets",
          "beekeeping and honey harvests"]


def toy_set() -> QASet:
    docs = [Document(f"d{i}", t, f"This article is about {t}.") for i, t in enumerate(TOPICS)]
    questions = [Question(str(n), f"Tell me about {t}", f"d{i}") for n, (i, t) in
                 enumerate((i, t) for _ in range(3) for i, t in enumerate(TOPICS))]
    return QASet("toy", docs, questions)


def test_evaluate_reports_every_mode_on_held_out_questions(embedder: SentenceTransformerEmbedder) -> None:
    report = evaluate([toy_set()], embedder)
    modes = report["sets"]["toy"]["modes"]
    assert {"dense", "bm25", "hybrid"} <= modes.keys()
    assert modes["hybrid"]["recall@1"] == 1.0 and "p50_ms" in modes["hybrid"]


def test_int8_query_vectors_search_the_fp32_index(embedder: SentenceTransformerEmbedder,
                                                  tmp_path_factory: pytest.TempPathFactory) -> None:
    cache = Path(tmp_path_factory.getbasetemp()) / "onnx-cache"  # shared with tests/index/test_embedder.py
    index_side, queries = RecordingEmbedder(embedder), RecordingEmbedder(load_embedder(threads=1, int8=True,
                                                                                       cache_dir=cache))
    qa = toy_set()
    report = evaluate([qa], index_side, query_embedder=queries)
    asked = {q.text for q in qa.questions}
    assert not any(asked & set(call) for call in index_side.calls)  # the index side embedded only chunks
    assert all(len(call) == 1 for call in queries.calls)  # each question alone, as the gateway embeds it
    assert asked <= {t for call in queries.calls for t in call}
    assert report["sets"]["toy"]["modes"]["dense"]["recall@1"] == 1.0
