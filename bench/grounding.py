"""Latency of the output fact-check per answer (~3 sentences against 5 retrieved passages) on this CPU.

    python -m bench.grounding [--answers 60] [--runs 5] [--rail model|embedding]

Answers are built from the chunks of docs/ (seeded): two sentences taken from the 5 passages (one with a
changed number) and one from elsewhere. `warm` is the steady state of a running gateway (passage windows
already embedded, as for a fixed index); `cold` embeds each passage's windows on first sight. Prints the
median over runs of each run's p50 and p95, in milliseconds, and the share of claims the cascade sent to the
cross-encoder. `--every-claim` sends every claim to the cross-encoder (the cascade's worst case).
"""

from __future__ import annotations

import json
import random
import statistics
import time
from pathlib import Path

import numpy as np
import typer

from guardrails.base import OutputRail
from guardrails.grounding_model import Cascade, ModelGroundingRail, make_output_rail
from guardrails.sentences import split_sentences
from guardrails.verdict import SentenceCheck
from index.base import Chunk, Hit
from index.chunking import chunk_documents
from index.embedder import load_embedder
from index.loaders import load_documents

app = typer.Typer(add_completion=False)


def answers(chunks: list[Chunk], count: int, seed: int) -> list[tuple[list[str], list[Hit]]]:
    rng = random.Random(seed)
    usable = [c for c in chunks if len(split_sentences(c.text)) >= 2]
    out = []
    for _ in range(count):
        picked = rng.sample(usable, 6)
        hits = [Hit(c, 1.0) for c in picked[:5]]
        inside = [s for c in picked[:2] for s in split_sentences(c.text)]
        first, second = rng.sample(inside, 2)
        second = second + " It listens on port 9137."
        out.append(([first, second, rng.choice(split_sentences(picked[5].text))], hits))
    return out


def one_run(rail: OutputRail, cases: list[tuple[list[str], list[Hit]]]) -> list[float]:
    times = []
    for sentences, hits in cases:
        started = time.perf_counter()
        rail.check(sentences, hits)
        times.append((time.perf_counter() - started) * 1000)
    return times


@app.command()
def main(docs: Path = Path("docs"), answers_per_run: int = typer.Option(60, "--answers"), runs: int = 5,
         rail_kind: str = typer.Option("model", "--rail"), seed: int = 7, threads: int = 1,
         int8: bool = typer.Option(True, help="The int8 embedder the gateway uses (RAGGUARD_GROUNDING_INT8)."),
         backend: str = typer.Option("onnx", help="onnx (the gateway's default) or torch."),
         every_claim: bool = typer.Option(False, help="Every claim through the cross-encoder."),
         cross_encoder: bool = typer.Option(True, help="The cascade (off: cheap model alone).")) -> None:
    embedder = load_embedder(threads=threads, int8=int8, backend=backend)
    rail = make_output_rail(rail_kind, embedder, 0.55, None, budget_s=60.0)
    if isinstance(rail, ModelGroundingRail) and rail.cascade is not None:
        if every_claim:
            rail.cascade = Cascade(0.0, 1.01, rail.cascade.threshold)
        if not cross_encoder:
            rail.cross_encoder, rail.cascade, rail.threshold = None, None, rail.model.threshold
    cases = answers(chunk_documents(load_documents(docs)[0]), answers_per_run, seed)
    cold = one_run(rail, cases)  # first sight of every passage
    warm = [one_run(rail, cases) for _ in range(runs)]
    checked = [s for sentences, hits in cases for s in rail.check(sentences, hits).sentences]
    report = {
        "rail": rail_kind + (" (every claim through the cross-encoder)" if every_claim else "")
        + ("" if cross_encoder else " (cheap model alone)"),
        "embedder": f"{type(embedder).__name__} int8={int8}",
        "cross_encoder_share": round(sum("cross-encoder" in s.reason or _escalated(rail, s) for s in checked)
                                     / max(len(checked), 1), 3),
        "answers_per_run": len(cases), "runs": runs, "sentences": 3, "passages": 5,
        "cold_p50_ms": round(statistics.median(cold), 2),
        "warm_p50_ms": round(statistics.median(statistics.median(r) for r in warm), 2),
        "warm_p95_ms": round(statistics.median(float(np.percentile(r, 95)) for r in warm), 2),
        "warm_run_p50s_ms": [round(statistics.median(r), 2) for r in warm],
    }
    typer.echo(json.dumps(report, indent=2))


def _escalated(rail: OutputRail, check: SentenceCheck) -> bool:
    """Whether the cascade's band held the claim's cheap score (a supported claim carries no reason)."""
    cascade = getattr(rail, "cascade", None)
    return cascade is not None and check.supported and check.score < cascade.high


if __name__ == "__main__":
    app()
