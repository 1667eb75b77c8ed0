"""`python -m training.finetune train|eval`: train the LoRA adapter, or measure base vs adapter (held-out)."""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from training.finetune.config import DEFAULT_CONFIG, FinetuneConfig

app = typer.Typer(help="LoRA fine-tuning of the local base model.", no_args_is_help=True)


@app.command()
def train(
    config: Path = typer.Option(DEFAULT_CONFIG, help="YAML config."),
    data_dir: Path | None = typer.Option(None, help="Shared data folder (holds retrieval/)."),
    out_dir: Path | None = typer.Option(None, help="Where the adapter folder is written."),
    train_size: int | None = typer.Option(None, help="Override the number of training examples."),
    epochs: int | None = typer.Option(None, help="Override the number of epochs."),
    max_steps: int | None = typer.Option(None, help="Timing run: stop after N steps (no checkpoint, no adapter)."),
    stop_at: int | None = typer.Option(None, help="Save the adapter at step N of the schedule (resumable later)."),
) -> None:
    """Train the adapter and save it (PEFT format + model card); resumes from the last checkpoint."""
    from training.finetune.train import train as run

    cfg = FinetuneConfig.load(config, data_dir=data_dir, out_dir=out_dir, train_size=train_size, epochs=epochs)
    typer.echo(f"written to {run(cfg, max_steps=max_steps, stop_at=stop_at)}")


@app.command()
def data(
    config: Path = typer.Option(DEFAULT_CONFIG, help="YAML config."),
    data_dir: Path | None = typer.Option(None, help="Shared data folder (holds retrieval/)."),
    rebuild: bool = typer.Option(False, help="Build again even when the cache holds the examples."),
) -> None:
    """Build (once) the serving-distribution examples into data_cache; print what they hold."""
    import shutil

    from training.finetune.serving_data import summary
    from training.finetune.splits import serving

    cfg = FinetuneConfig.load(config, data_dir=data_dir)
    if rebuild and cfg.data_cache.exists():
        shutil.rmtree(cfg.data_cache)
    typer.echo(summary(*serving(cfg)))


@app.command()
def techdocs(products: int = typer.Option(300, help="Made-up services, one README each."),
             out: Path = typer.Option(Path("var/finetune/techdocs"), help="Where the READMEs and questions go."),
             seed: int = typer.Option(0)) -> None:
    """Write synthetic technical READMEs and their questions (answerable examples in the docs set's domain)."""
    from training.finetune.tech_docs import write

    typer.echo(f"{products} READMEs and {write(products, out, seed)} questions in {out}")


@app.command()
def ship(config: Path = typer.Option(DEFAULT_CONFIG, help="YAML config of the measured candidate.")) -> None:
    """Copy the candidate (float16 weights, metrics) into models/adapters/<name> and write its card there."""
    from training.finetune.ship import ship as run

    typer.echo(f"shipped to {run(FinetuneConfig.load(config))}")


@app.command("eval")
def evaluate(
    config: Path = typer.Option(DEFAULT_CONFIG, help="YAML config."),
    data_dir: Path | None = typer.Option(None, help="Shared data folder (holds retrieval/)."),
    out_dir: Path | None = typer.Option(None, help="Folder that holds the adapter folder."),
    limit: int | None = typer.Option(None, help="Only the first N examples (questions with --docs)."),
    docs: bool = typer.Option(False, "--docs", help="The docs Q&A set through the real gateway road instead."),
    report: Path | None = typer.Option(None, help="--docs: write every answer and metric here (JSON)."),
    journal: Path | None = typer.Option(None, help="--docs: append each response here; a rerun asks the rest."),
) -> None:
    """Base vs adapter on the held-out split through llama-server, or (--docs) on the docs set through the gateway."""
    cfg = FinetuneConfig.load(config, data_dir=data_dir, out_dir=out_dir)
    if docs:
        from training.finetune.docs_eval import evaluate_docs, write_docs_metrics

        result = evaluate_docs({cfg.name: cfg.adapter_dir.resolve()}, out=report, limit=limit, journal=journal)
        typer.echo(write_docs_metrics(cfg, result))
        return
    from training.finetune.evaluate import evaluate as run

    typer.echo(run(cfg, limit=limit))


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app()
