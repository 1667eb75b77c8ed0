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


def test_callers_on_many_threads_share_one_runner(graph: Path) -> None:
    """The gateway's CPU workers, the scan workers and the pool all run one session at once."""
    from concurrent.futures import ThreadPoolExecutor

    runner = OnnxRunner(graph, parallel=2)
    lists = [_ids([3 + k, 20, 7, 30 - k, 5, 11]) for k in range(6)]

    def vectors(ids: list[list[int]]) -> np.ndarray:
        out = np.zeros((len(ids), 384), np.float32)
        for rows, hidden, _ in runner.run(ids):
            out[rows] = hidden[:, 0]
        return out

    alone = [vectors(ids) for ids in lists]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(vectors, lists * 2))
    for got, want in zip(together, alone * 2, strict=True):
        assert np.allclose(got, want, atol=1e-4)


def test_a_long_list_runs_in_waves_and_still_covers_every_text(graph: Path) -> None:
    from index.onnx_runner import WAVE

    ids = _ids([1 + k % 9 for k in range(4 * (WAVE + 3))])
    rows = np.concatenate([r for r, _, _ in OnnxRunner(graph).run(ids, batch_size=4)])
    assert sorted(rows.tolist()) == list(range(len(ids)))
