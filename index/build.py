"""Ingestion: files -> documents -> token-aware chunks (deduplicated) -> vectors -> document-rail verdicts
-> a new snapshot."""

from __future__ import annotations

import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from index.base import Chunk, ChunkScanner, Embedder, PieceGate, StoredVerdict
from index.chunking import TokenOffsets, chunk_document, dedup, tokenizer_offsets, word_offsets
from index.families import IndexKind
from index.loaders import LoadFailure, document_files, load_file
from index.snapshots import publish
from index.store import FaissIndex

EMBED_BLOCK = 512  # texts per embed call: sentence-transformers sorts by length within a call
SCAN_BLOCK = 256  # chunks per scanner call: their pieces are embedded together
# Blocks scanned side by side: the scan embeds short windows in small batches, and two such ONNX Runtime runs side
# by side (it releases the GIL) use two cores far better than one run's intra-op threads (int8 windows of 129
# COVID-QA chunks: 13 s in one thread against 22 s, under load, same session).
SCAN_WORKERS = 2


@dataclass
class BuildReport:
    documents: int = 0
    chunks: int = 0
    tokens: int = 0
    duplicates: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0
    scanned: int = 0  # chunks the document rail scanned in this run (new, changed, or scanned by another rail)
    flagged: int = 0  # chunks of the snapshot whose stored verdict found instructions
    scan_seconds: float = 0.0
    cleared: dict[str, frozenset[int]] = field(default_factory=dict)  # chunk id -> pieces the gate cleared
    failures: list[LoadFailure] = field(default_factory=list)
    snapshot: Path | None = None

    @property
    def chunks_per_s(self) -> float:
        return self.chunks / self.seconds if self.seconds else 0.0


def offsets_for(embedder: Embedder) -> TokenOffsets:
    """Chunk sizes in the embedder's own tokens when it exposes its tokenizer, else in words."""
    tokenizer = getattr(embedder, "tokenizer", None)
    return tokenizer_offsets(tokenizer) if tokenizer is not None else word_offsets


def _progress(enabled: bool) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    disable=not enabled, transient=True)


def ingest(src: Path, embedder: Embedder, max_tokens: int = 200, overlap_tokens: int = 40,
           progress: bool = True, gate: PieceGate | None = None) -> tuple[list[Chunk], np.ndarray, BuildReport]:
    """Read every file under src (bad ones reported, skipped), chunk, dedup, embed; with a `gate` the embedding
    pass also pools its token states per piece and the report keeps the pieces the gate cleared."""
    started = time.perf_counter()
    report = BuildReport()
    offsets = offsets_for(embedder)
    chunks: list[Chunk] = []
    files = document_files(src)
    with _progress(progress) as bar:
        reading = bar.add_task("reading files", total=len(files))
        for path in files:
            try:
                docs = load_file(path, src)
            except Exception as exc:  # noqa: BLE001 - a broken file is reported and skipped
                report.failures.append(LoadFailure(str(path), f"{type(exc).__name__}: {exc}"[:300]))
                docs = []
            report.documents += len(docs)
            chunks.extend(c for d in docs for c in chunk_document(d, max_tokens, overlap_tokens, offsets))
            bar.advance(reading)
        chunks, report.duplicates = dedup(chunks)
        embedding = bar.add_task("embedding chunks", total=len(chunks))
        parts: list[np.ndarray] = []
        embed_started = time.perf_counter()
        gate = gate if gate is not None and gate.reads(embedder) else None
        for i in range(0, len(chunks), EMBED_BLOCK):
            block = chunks[i:i + EMBED_BLOCK]
            block_vectors, cleared = embed_gated(embedder, [c.text for c in block], gate)
            parts.append(block_vectors)
            if gate is not None:
                report.cleared.update(zip((c.id for c in block), cleared, strict=True))
            bar.advance(embedding, len(block))
        report.embed_seconds = time.perf_counter() - embed_started
    vectors = np.vstack(parts) if parts else np.zeros((0, embedder.dim), dtype=np.float32)
    report.chunks, report.tokens = len(chunks), sum(c.tokens for c in chunks)
    report.seconds = time.perf_counter() - started
    return chunks, vectors, report


def embed_gated(embedder: Embedder, texts: list[str], gate: PieceGate | None
                ) -> tuple[np.ndarray, list[frozenset[int]]]:
    """The texts' vectors; with a gate (one that `reads` this embedder), also the pieces of each text it clears
    from the same pass's token states (none without a gate)."""
    if gate is None:
        return embedder.embed(texts), [frozenset()] * len(texts)
    vectors, pooled = embedder.embed_spans(texts, [gate.spans(t) for t in texts])  # type: ignore[attr-defined]
    return vectors, [gate.cleared(p) for p in pooled]


def scan(index: FaissIndex, scanner: ChunkScanner, report: BuildReport, progress: bool = True,
         workers: int = SCAN_WORKERS) -> None:
    """Store the scanner's verdict with every chunk that has none of this scanner yet (before publishing). Blocks
    of chunks go to `scanner.scan_chunks` from `workers` threads at once (a verdict depends on its chunk alone)."""
    started = time.perf_counter()
    todo = list(index.unscanned(scanner.identity).items())
    size = min(SCAN_BLOCK, max(1, -(-len(todo) // max(workers, 1))))  # every worker gets a block of a small build
    blocks = [todo[i:i + size] for i in range(0, len(todo), size)]
    verdicts: dict[int, StoredVerdict] = {}
    with _progress(progress) as bar, ThreadPoolExecutor(max(workers, 1), thread_name_prefix="scan") as pool:
        task = bar.add_task("scanning chunks", total=len(todo))
        def work(block: list[tuple[int, Chunk]]) -> list[StoredVerdict]:
            return scanner.scan_chunks([c for _, c in block],
                                       [report.cleared.get(c.id, frozenset()) for _, c in block])

        for block, found in zip(blocks, pool.map(work, blocks), strict=True):
            verdicts.update(zip((n for n, _ in block), found, strict=True))
            bar.advance(task, len(block))
    index.set_verdicts(verdicts, scanner.identity, len(todo))
    report.scanned, report.flagged = len(todo), len(index.flagged())
    report.scan_seconds = time.perf_counter() - started


def build_index(src: Path, out: Path, embedder: Embedder, max_tokens: int = 200, overlap_tokens: int = 40,
                kind: IndexKind = "auto", progress: bool = True, scanner: ChunkScanner | None = None) -> BuildReport:
    """Ingest src and publish it as a new snapshot under the index root `out` (made current). With a `scanner`
    every chunk's verdict is stored in the snapshot; without one the gateway scans chunks at request time."""
    started = time.perf_counter()
    chunks, vectors, report = ingest(src, embedder, max_tokens, overlap_tokens, progress,
                                     scanner.gate if scanner is not None else None)
    chunking = {"max_tokens": max_tokens, "overlap_tokens": overlap_tokens,
                "unit": "embedder tokens" if offsets_for(embedder) is not word_offsets else "words"}
    index = FaissIndex.build(chunks, vectors, embedder.name, kind,
                             extra={"chunking": chunking, "documents": report.documents,
                                    "failed_files": len(report.failures)})
    if scanner is not None:
        scan(index, scanner, report, progress)
    report.snapshot = publish(index, out)
    report.seconds = time.perf_counter() - started
    return report


def update_index(root: Path, embedder: Embedder, add: Path | None = None, delete: Iterable[str] = (),
                 max_tokens: int = 200, overlap_tokens: int = 40, progress: bool = True,
                 scanner: ChunkScanner | None = None) -> BuildReport:
    """Incremental: drop the chunks of `delete` (and of re-added files), add the files under `add`,
    publish the result as a new snapshot. The vectors of everything else are reused, not re-embedded; so are
    their verdicts when `scanner` made them (a snapshot scanned by another rail, or none, is scanned whole)."""
    started = time.perf_counter()
    current = FaissIndex.load(root, embedder.name, embedder.dim)
    chunks: list[Chunk] = []
    vectors = np.zeros((0, embedder.dim), dtype=np.float32)
    report = BuildReport()
    if add is not None:
        chunks, vectors, report = ingest(add, embedder, max_tokens, overlap_tokens, progress,
                                         scanner.gate if scanner is not None else None)
    replaced = {c.source for c in chunks}
    index = current.updated(chunks, vectors, delete_sources=set(delete) | replaced)
    if scanner is not None:
        scan(index, scanner, report, progress)
    report.snapshot = publish(index, root)
    report.seconds = time.perf_counter() - started
    return report
