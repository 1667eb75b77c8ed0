from pathlib import Path

import numpy as np
import pytest

from index.embedder import load_embedder
from index.onnx_embedder import onnx_file
from index.onnx_runner import FEW, OnnxRunner


@pytest.fixture(scope="module")
def graph(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = Path(tmp_path_factory.getbasetemp()) / "onnx-cache"  # the session's exported fp32 graph, reused
    embedder = load_embedder(threads=1, int8=False, cache_dir=cache)
    return onnx_file(cache, embedder.name, int8=False)


def _ids(lengths: list[int]) -> list[list[int]]:
    return [[101, *range(1000, 1000 + n), 102] for n in lengths]


def test_every_text_runs_once_in_batches_of_next_to_the_same_length(graph: Path) -> None:
    runner = OnnxRunner(graph, parallel=2)
    ids = _ids([3, 40, 5, 38, 4, 39, 6, 41, 2])
    seen: list[int] = []
    for rows, hidden, mask in runner.run(ids, batch_size=4):
        lengths = [len(ids[j]) for j in rows]
        assert max(lengths) - min(lengths) <= 3  # sorted by token count: the long ones share batches
        assert hidden.shape[:2] == mask.shape == (len(rows), max(lengths))
        assert [int(m.sum()) for m in mask] == lengths  # right-padded, the mask marks each text's own tokens
        seen += rows.tolist()
    assert sorted(seen) == list(range(len(ids)))


def test_padding_and_the_pool_change_nothing_in_fp32(graph: Path) -> None:
    ids = _ids([3, 40, 5, 38, 4, 39])
    alone = {}
    for j, row in enumerate(ids):
        [(_, hidden, _)] = OnnxRunner(graph, parallel=1).run([row])
        alone[j] = hidden[0]
    for rows, hidden, mask in OnnxRunner(graph, parallel=2).run(ids, batch_size=4):
        for r, j in enumerate(rows):
            n = int(mask[r].sum())
            assert np.allclose(hidden[r, :n], alone[j], atol=1e-4)


def test_a_few_texts_run_one_per_call(graph: Path) -> None:
    batches = list(OnnxRunner(graph).run(_ids([3, 9, 5][:FEW])))
    assert [len(rows) for rows, _, _ in batches] == [1, 1, 1]  # no padding at all
    assert not list(OnnxRunner(graph).run([]))
