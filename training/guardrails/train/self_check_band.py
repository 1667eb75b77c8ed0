"""Choose the default bottom of the self-check's uncertain band (RAGGUARD_SELF_CHECK_INPUT_FROM) on validation data.

    python -m training.guardrails.train.self_check_band --data ../shared/data [--out FILE]

The engine self-check (guardrails/self_check.py, off by default) asks the engine about a prompt that no rail blocked
but that a learned rail scored in [from, that rail's threshold). Lower `from` asks about more prompts: more misses
the engine may catch, and more benign prompts that pay an engine call (and meet a judge that can be wrong).

- **Texts**: the harm encoder's validation split (`harm_encoder.fit_validation`: the input head's own seeded 80/20
  cut plus the later sources' own cuts; never a held-out set), run through the gateway's own input rails
  (`service.rails.build_rails`: rules, the cascade head, the harm encoder, the focus gate) as shipped.
- **Out**: models/guardrails/self_check_band.json unless `--out`.
- **Rule**: the lowest `from` on the grid at which at most `--max-benign-asked` (5%) of the benign validation
  texts would be asked: the engine's load and a weak judge's exposure stay bounded; every row of the grid is
  written beside it (per source: benign asked; attacks missed by the rails, and of those asked).

CPU: ~3 minutes on 2 cores (ONNX Runtime). `--device` does not apply.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from models import MODELS_DIR

OUT = MODELS_DIR / "guardrails" / "self_check_band.json"
GRID = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
app = typer.Typer(add_completion=False)
console = Console()


@app.command()
def main(data: Path = typer.Option(Path("../shared/data")), out: Path = typer.Option(OUT),
         seed: int = typer.Option(13), max_benign_asked: float = typer.Option(0.05),
         limit: int = typer.Option(0, help="first N validation texts only (smoke test)")) -> None:
    from guardrails.self_check import uncertain
    from index.embedder import load_embedder
    from service.rails import build_rails, prompt_embedders
    from service.settings import Settings
    from training.guardrails.train.harm_encoder import fit_validation

    settings = Settings(dev_mode=True, pii_mode="off", document_rail_mode="off")
    fast, precise = prompt_embedders(settings, lambda int8, fallback=True: load_embedder(
        settings.embedder_model, 1, "onnx", int8=int8, cache_dir=settings.cache_dir, fallback=fallback))
    rails = build_rails(settings, fast, precise).input
    _, val = fit_validation(data, seed)
    val = val[:limit] if limit else val
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for i, (text, label, source) in enumerate(val):
        verdicts = [r.check(text) for r in rails]
        row = counts[(source, label)]
        row["n"] += 1
        row["blocked"] += any(v.blocked for v in verdicts)
        for cut in GRID:
            row[f"asked@{cut}"] += uncertain(verdicts, rails, cut)
        if (i + 1) % 500 == 0:
            console.print(f"validation {i + 1} / {len(val)}")

    benign = [r for (_, label), r in counts.items() if label == "benign"]
    attacks = [r for (_, label), r in counts.items() if label != "benign"]
    n_benign, missed = sum(r["n"] for r in benign), sum(r["n"] - r["blocked"] for r in attacks)
    grid = {str(cut): {"benign_asked": round(sum(r[f"asked@{cut}"] for r in benign) / max(n_benign, 1), 4),
                       "attack_missed_asked": round(sum(r[f"asked@{cut}"] for r in attacks) / max(missed, 1), 4)}
            for cut in GRID}
    chosen = min((c for c in GRID if grid[str(c)]["benign_asked"] <= max_benign_asked), default=GRID[-1])
    report = {"from": chosen, "rule": {"max_benign_asked": max_benign_asked, "grid": list(GRID)},
              "validation": {"n": len(val), "grid": grid,
                             "per_source": {f"{s}/{lab}": dict(r) for (s, lab), r in sorted(counts.items())}}}
    out.write_text(json.dumps(report, indent=2) + "\n")
    table = Table(title=f"self-check band on validation (n={len(val)}): chosen from = {chosen}")
    for col in ("from", "benign asked", "attacks the rails missed, asked"):
        table.add_column(col)
    for name, shares in grid.items():
        table.add_row(name, f"{shares['benign_asked']:.3f}", f"{shares['attack_missed_asked']:.3f}")
    console.print(table)
    console.print(f"wrote {out}")


if __name__ == "__main__":
    app()
