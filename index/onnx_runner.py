"""One ONNX Runtime CPU session fed tokenized texts: shortest padding, both cores.

The embedder, the harm encoder and the fact-check's cross-encoder all run a MiniLM graph over many texts (a long
prompt's windows, an answer's claims). `OnnxRunner` does it once for them:

- texts are tokenized once, by the caller, with the same settings on every call (a fast tokenizer that changes
  its truncation or padding while another thread encodes fails with "Already borrowed"); the pool threads run
  only the graph. Texts are sorted by token count, so a batch carries next to no padding;
- small batches (cache-sized activations: 64 texts of ~200 tokens took 3.4 s int8 in batches of 64, 2.3 s in
  batches of 4 here), a few texts one at a time (no padding at all);
- the batches run side by side on `parallel` threads (ONNX Runtime runs without the GIL), each session call on
  one intra-op thread, so one long prompt uses both cores and short ones stay single calls.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

FEW = 4  # up to this many texts run one per session call (no padding), side by side on the pool
WAVE = 32  # batches padded and in flight at once, whatever the length of the list
INPUTS = ("input_ids", "attention_mask", "token_type_ids")  # the BERT graphs' inputs, as exported and fed


def cpu_session(path: Path, threads: int | None = 1) -> object:
    """An ONNX Runtime CPU session with `threads` intra-op threads (0/None: ONNX Runtime's choice)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads or 0
    opts.inter_op_num_threads = 1
    # No CPU memory arena: it keeps the peak of every input shape it has seen, and windows/batches of varied
    # lengths grew a gateway from ~0.7 to ~1.4 GB within 300 calls here (flat at ~0.7 GB without it).
    opts.enable_cpu_mem_arena = False
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


class OnnxRunner:
    """Runs one graph over tokenized texts, batched by length on a small thread pool."""

    def __init__(self, path: Path, threads: int | None = 1, parallel: int = 2) -> None:
        self.session = cpu_session(path, threads)
        self._wanted = {i.name for i in self.session.get_inputs()}  # type: ignore[attr-defined]
        self._pool = ThreadPoolExecutor(parallel, thread_name_prefix="onnx") if parallel > 1 else None

    def run(self, ids: Sequence[Sequence[int]], types: Sequence[Sequence[int]] | None = None,
            batch_size: int = 4) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """(rows, first output, attention mask) per batch, rows indexing `ids`; every text is in one batch."""
        size = 1 if len(ids) <= FEW else batch_size
        order = np.argsort([-len(t) for t in ids], kind="stable")
        batches = [order[i:i + size] for i in range(0, len(ids), size)]
        for w in range(0, len(batches), WAVE):  # padded inputs of a wave at a time: memory bounded by WAVE
            wave = batches[w:w + WAVE]
            feeds = [self._feed([ids[j] for j in rows], None if types is None else [types[j] for j in rows])
                     for rows in wave]
            outputs = self._pool.map(self._call, feeds) if self._pool is not None and len(feeds) > 1 \
                else map(self._call, feeds)
            for rows, feed, out in zip(wave, feeds, outputs, strict=True):
                yield rows, out, feed["attention_mask"]

    def _call(self, feed: dict[str, np.ndarray]) -> np.ndarray:
        return self.session.run(None, {k: v for k, v in feed.items() if k in self._wanted})[0]  # type: ignore[attr-defined]

    @staticmethod
    def _feed(ids: list[Sequence[int]], types: list[Sequence[int]] | None) -> dict[str, np.ndarray]:
        """Right-padded int64 inputs (pad id 0, as BERT tokenizers pad)."""
        width = max(len(t) for t in ids)
        feed = {name: np.zeros((len(ids), width), np.int64) for name in INPUTS}
        for r, row in enumerate(ids):
            feed["input_ids"][r, :len(row)] = row
            feed["attention_mask"][r, :len(row)] = 1
            if types is not None:
                feed["token_type_ids"][r, :len(row)] = types[r]
        return feed
