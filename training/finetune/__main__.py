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
) -> None:
    """Train the adapter and save it (PEFT format + model card)."""
    from training.finetune.train import train as run

    cfg = FinetuneConfig.load(config, data_dir=data_dir, out_dir=out_dir, train_size=train_size, epochs=epochs)
    typer.echo(f"adapter written to {run(cfg)}")


@app.command("eval")
def evaluate(
    config: Path = typer.Option(DEFAULT_CONFIG, help="YAML config."),
    data_dir: Path | None = typer.Option(None, help="Shared data folder (holds retrieval/)."),
    out_dir: Path | None = typer.Option(None, help="Folder that holds the adapter folder."),
    limit: int | None = typer.Option(None, help="Only the first N held-out examples."),
) -> None:
    """Base vs adapter on the held-out split, through llama-server (base GGUF + adapter GGUF)."""
    from training.finetune.evaluate import evaluate as run

    cfg = FinetuneConfig.load(config, data_dir=data_dir, out_dir=out_dir)
    typer.echo(run(cfg, limit=limit))


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app()
