"""Train the document rail's piece gate (guardrails/document_gate.py) and write its JSON.

    python -m training.guardrails.train.document_gate --data ../shared/data [--out models/guardrails/document_gate.json]

- **Pieces**: every piece (as the rail cuts them) of the injection head's training texts (`data.build`, seed 13:
  deepset train, BIPIA attacks alone and planted in BIPIA contexts, BIPIA context windows, the harmful and benign
  training sets) and of the chunks `index build` makes of COVID-QA articles 10 and on (0-9 are `bench.ingest`'s
  corpus; PubMedQA and the held-out BIPIA sets stay unseen: the documents eval measures on them).
- **Label**: the rail's own piece score (the int8 -> fp32 cascade `index build` runs); positive at >= `--label`.
- **Features**: the fp32 token states of the whole text pooled over the piece, as the index pass makes them.
- **Fit**: split by text (seeded, 80/20); logistic regression (balanced classes). The cut is the lowest
  validation gate score of any piece of an *injection* text that the rail scores at or above `--keep-from` (0.6,
  its recheck line; a piece blocks at 0.85): no such validation piece is cleared. Pieces of benign text that the
  rail scores high (its false positives: "non-sequential or discrete model [72] ." scores 0.93) are not kept by
  the cut, so the gate may clear them. Validation numbers go into the JSON's `card`.

CPU: about 5 minutes on one core. `--device` does not apply (ONNX Runtime on CPU, a logistic fit).
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import typer
from rich.console import Console
from sklearn.linear_model import LogisticRegression

from guardrails.documents import document_rail
from guardrails.piece_gate import DEFAULT_GATE, PieceGate, piece_spans
from index.build import offsets_for
from index.chunking import Document, chunk_document
from index.embedder import load_embedder
from training.guardrails.train.data import INJECTION, build

app = typer.Typer(add_completion=False)
console = Console()
BENCH_ARTICLES = 10  # bench.ingest indexes COVID-QA's first articles: never trained on


def texts(data: Path, states: object, seed: int) -> list[tuple[str, str, bool]]:
    """(text, source, is an injection) of every training-side text and every COVID-QA chunk past the bench's
    articles."""
    split = build(data, seed)
    out = [(t, s, label == INJECTION) for (t, label), s in zip(split.train, split.sources, strict=True)]
    covid = json.loads((data / "retrieval/covid_qa/200423_covidQA.json").read_text())["data"][BENCH_ARTICLES:]
    offsets = offsets_for(states)  # type: ignore[arg-type]
    for article in covid:
        for para in article["paragraphs"]:
            doc = Document(source=str(para.get("document_id", "")), title="", text=para["context"])
            out += [(c.text, "covid_qa_chunk", False) for c in chunk_document(doc, 200, 40, offsets)]
    return out


def _features(data: Path, states: object, seed: int, cache: Path) -> None:
    """Every piece's pooled fp32 state (x), the rail's score (y), its text (group) and source, into `cache`."""
    rail = document_rail(states, load_embedder(threads=1, int8=True, fallback=False), gate=False)  # type: ignore[arg-type]
    items = texts(data, states, seed)
    spans = [piece_spans(t) for t, _, _ in items]
    unique = list(dict.fromkeys(p for s in spans for p, _, _ in s))
    console.print(f"{len(items)} texts, {len(unique)} distinct pieces: scoring them as the rail does")
    score = {p: v.score for p, v in rail._pieces(unique).items()}  # noqa: SLF001 - the rail's own piece scores
    console.print("pooling the fp32 states per piece")
    pooled = states.embed_spans([t for t, _, _ in items], [[(a, b) for _, a, b in s] for s in spans])[1]  # type: ignore[attr-defined]
    counts = [len(s) for s in spans]
    cache.parent.mkdir(parents=True, exist_ok=True)
    each = np.array([s for _, s, _ in items]), np.array([i for _, _, i in items])
    np.savez(cache, x=np.vstack(pooled), y=np.array([score[p] for s in spans for p, _, _ in s]),
             group=np.repeat(np.arange(len(items)), counts), source=np.repeat(each[0], counts),
             injection=np.repeat(each[1], counts))


@app.command()
def main(data: Path = typer.Option(Path("../shared/data"), exists=True), out: Path = DEFAULT_GATE,
         seed: int = 13, label: float = 0.5, keep_from: float = 0.6, c: float = 10.0,
         val_share: float = 0.2, cache: Path = Path("~/.cache/ragguard/document-gate.npz")) -> None:
    """`cache` keeps the pieces' features and scores (minutes of CPU): a rerun with other fit settings reads it."""
    started = time.perf_counter()
    states = load_embedder(threads=1)
    cache = cache.expanduser()
    if not cache.exists():
        _features(data, states, seed, cache)
    saved = np.load(cache)
    x, y, group, source, injection = (saved[k] for k in ("x", "y", "group", "source", "injection"))
    known = np.abs(x).sum(axis=1) > 0  # pieces past the embedder's 256 tokens have no state: never cleared
    texts_n = int(group.max()) + 1
    held = set(random.Random(seed).sample(range(texts_n), round(texts_n * val_share)))
    val = np.array([g in held for g in group])
    fit = LogisticRegression(C=c, max_iter=5000, class_weight="balanced").fit(x[~val & known],
                                                                             (y[~val & known] >= label))
    gate = PieceGate(fit.coef_[0].astype(np.float32), float(fit.intercept_[0]), 0.0, states.name)
    p = gate.scores(x)
    cut = float(p[val & known & injection & (y >= keep_from)].min())
    cleared = known & (p < cut)
    card = {
        "pieces": int(len(y)), "texts": texts_n, "validation_pieces": int(val.sum()),
        "label": label, "keep_from": keep_from, "C": c, "seed": seed,
        "validation": {
            "injection_pieces_at_or_above_keep_from": int((val & injection & (y >= keep_from)).sum()),
            "injection_pieces_blocking (>= 0.85)": int((val & injection & (y >= 0.85)).sum()),
            "injection_pieces_blocking_cleared": int((val & injection & (y >= 0.85) & cleared).sum()),
            "benign_pieces_blocking (rail false positives)": int((val & ~injection & (y >= 0.85)).sum()),
            "benign_pieces_blocking_cleared": int((val & ~injection & (y >= 0.85) & cleared).sum()),
            "cleared_share_by_source": {s: round(float(cleared[val & (source == s)].mean()), 4)
                                        for s in sorted(set(source)) if (val & (source == s)).any()},
            "cleared_share": round(float(cleared[val].mean()), 4),
        },
        "seconds": round(time.perf_counter() - started, 1),
    }
    replace(gate, weights=fit.coef_[0], cut=cut).save(out, card)  # the fitted (float64) weights, as before
    console.print_json(data=card)
    console.print(f"wrote {out} (cut {cut:.4f})")


if __name__ == "__main__":
    app()
