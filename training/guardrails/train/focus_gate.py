"""Train the prompt scorer's focus gate (guardrails/piece_gate.py, `FOCUS_GATE`) and write its JSON.

    python -m training.guardrails.train.focus_gate --data ../shared/data [--out models/guardrails/harm/focus_gate.json]

A long prompt's sentences (its focus pieces) were embedded again on their own, after its windows, only to pick
which of them the harm encoder reads. The gate picks from the windows' own int8 pass instead: the mean of a
sentence's token states in its window (`PromptScorer._first_pass`, exactly as the gateway computes it).

- **Prompts**: training-side prose (COVID-QA articles from the 11th on, `harm_prose`; PubMedQA and articles 0-9 stay
  unseen) packed into prompts of 1,000-4,500 characters from a random sentence on; into half of them one harmful
  request is planted at a random sentence boundary, into a quarter one benign request (look-alikes, XSTest safe,
  plain questions), the rest stay plain prose. Requests come from the harm encoder's own split
  (`harm_encoder.fit_validation`; never a held-out set): fit requests into prompts of three quarters of the
  articles, validation requests into the rest.
- **Label**: the shipped harm encoder's p(harmful) of each focus piece read on its own text (what it would decide).
- **Fit**: logistic regression on the pooled states, positive at encoder >= `--label`, balanced classes.
- **Cut** (out of fold): 5 folds by planted request (a request and every prompt it is in fall in one fold); each
  fold is scored by a gate fitted on the other four. The cut is the lowest out-of-fold score of any piece of a
  planted harmful request that the encoder scores >= `--keep-from` (0.5; it blocks at 0.99): none of them is
  cleared. A piece the encoder scores high that holds no harmful request (its false positives) may be; the scorer
  confirms any high score from a gated piece on the piece's own vector anyway. `-c` 0.1 is the value of 0.1, 0.3
  and 1 that clears the most prose at that cut. The committed gate is then fitted on every piece. Out-of-fold
  numbers go into the JSON's `card`.

CPU: ~12 minutes the first time on 2 cores (ONNX Runtime: the windows' int8 pass and the encoder over every
sentence once; the features are cached in `--cache`), seconds for a refit. `--device` does not apply.
"""

from __future__ import annotations

import hashlib
import random
import time
from pathlib import Path

import numpy as np
import typer
from rich.console import Console
from sklearn.linear_model import LogisticRegression

from guardrails.classifier import PromptScorer
from guardrails.harm_encoder import CLASSES, load_harm_encoder
from guardrails.piece_gate import FOCUS_GATE, PieceGate
from guardrails.sentences import split_sentences
from index.embedder import load_embedder
from training.guardrails.train.harm_encoder import fit_validation
from training.guardrails.train.harm_prose import HELD_ARTICLES, covid_articles

app = typer.Typer(add_completion=False)
console = Console()
FOLDS = 5


def planted_prompts(data: Path, seed: int, n: int, val_share: float) -> list[tuple[str, str, bool, str]]:
    """(prompt, kind: harmful / benign / prose, is validation, the planted request or "") for `n` prompts."""
    rng = random.Random(f"{seed}:focus-gate")
    articles = covid_articles(data)[HELD_ARTICLES:]
    held = set(rng.sample(range(len(articles)), round(len(articles) * val_share)))
    sentences = [[s for s in split_sentences(a) if len(s) > 20] for a in articles]
    fit, val = fit_validation(data, seed, with_prose=False)
    requests = {(v, c): [t for t, cls, _ in part if cls == c] for v, part in ((False, fit), (True, val))
                for c in ("harmful", "benign")}
    out: list[tuple[str, str, bool, str]] = []
    while len(out) < n:
        a = rng.randrange(len(articles))
        if len(sentences[a]) < 8:
            continue
        target, first = rng.randrange(1000, 4500), rng.randrange(len(sentences[a]) - 4)
        body: list[str] = []
        for s in sentences[a][first:]:
            if sum(map(len, body)) >= target:
                break
            body.append(s)
        kind = rng.choices(("harmful", "benign", "prose"), (2, 1, 1))[0]
        request = rng.choice(requests[(a in held, kind)]) if kind != "prose" else ""
        if request:
            body.insert(rng.randrange(len(body) + 1), request.strip())
        out.append((" ".join(body), kind, a in held, request))
    return out


def features(data: Path, seed: int, n: int, val_share: float, cache: Path) -> None:
    """Pooled int8 states (x) of every focus piece that lies in a window, the encoder's p(harmful) of the piece
    alone (y), its prompt (group), whether it is validation and whether it holds the planted request."""
    fast = load_embedder(threads=1, int8=True, fallback=False)
    encoder = load_harm_encoder()
    if encoder is None:
        raise typer.BadParameter("the harm encoder is not in models/guardrails/harm")
    pooling = PromptScorer(fast, cache_size=0, harm_encoder=encoder,
                           focus_gate=PieceGate(np.zeros(fast.dim, np.float32), 0.0, 0.0, fast.name, int8=True))
    xs, texts, group, val, planted, harmful, fold = [], [], [], [], [], [], []
    for g, (prompt, kind, is_val, request) in enumerate(planted_prompts(data, seed, n, val_share)):
        plan = pooling.cut(prompt, pooling.max_tokens, fast.name)
        vecs, rows = pooling._first_pass(plan, None)  # noqa: SLF001 - the gateway's own pooling
        everything = plan.windows + plan.focus
        for r in rows:
            xs.append(vecs[r])
            texts.append(everything[r])
            group.append(g)
            val.append(is_val)
            planted.append(bool(request) and (everything[r] in request or request[:40] in everything[r]))
            harmful.append(planted[-1] and kind == "harmful")
            fold.append(int(hashlib.sha256((request or f"prose {g}").encode()).hexdigest(), 16) % FOLDS)
        if g % 200 == 0:
            console.print(f"{g} prompts, {len(xs)} pieces")
    console.print(f"the encoder reads {len(texts)} pieces")
    y = encoder.probs(texts)[:, CLASSES.index("harmful")]
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, x=np.vstack(xs), y=y, group=np.array(group), val=np.array(val), planted=np.array(planted),
             harmful=np.array(harmful), fold=np.array(fold), text=np.array(texts))


@app.command()
def main(data: Path = typer.Option(Path("../shared/data"), exists=True), out: Path = FOCUS_GATE, seed: int = 13,
         prompts: int = 1600, val_share: float = 0.25, label: float = 0.5, keep_from: float = 0.5, c: float = 0.1,
         cache: Path = Path("~/.cache/ragguard/focus-gate.npz")) -> None:
    """`cache` keeps the pieces' features and labels (minutes of CPU): a rerun with other fit settings reads it."""
    started = time.perf_counter()
    cache = cache.expanduser()
    if not cache.exists():
        features(data, seed, prompts, val_share, cache)
    saved = np.load(cache)
    x, y, planted, harmful, fold = (saved[k] for k in ("x", "y", "planted", "harmful", "fold"))

    def fitted(rows: np.ndarray) -> LogisticRegression:
        return LogisticRegression(C=c, max_iter=5000, class_weight="balanced").fit(x[rows], y[rows] >= label)

    oof = np.zeros(len(y))
    for f in range(FOLDS):
        oof[fold == f] = fitted(fold != f).predict_proba(x[fold == f])[:, 1]
    kept = harmful & (y >= keep_from)
    cut = float(oof[kept].min())
    cleared = oof < cut
    final = fitted(np.ones(len(y), dtype=bool))
    model = load_embedder(threads=1, int8=True, fallback=False).name
    card = {
        "pieces": int(len(y)), "prompts": prompts, "folds": FOLDS, "label": label, "keep_from": keep_from, "C": c,
        "seed": seed,
        "out_of_fold": {
            "harmful_request_pieces_encoder_at_or_above_keep_from": int(kept.sum()),
            "harmful_request_pieces_encoder_blocks (>= 0.99)": int((harmful & (y >= 0.99)).sum()),
            "harmful_request_pieces_encoder_blocks_cleared": int((harmful & (y >= 0.99) & cleared).sum()),
            "harmful_request_pieces_cleared": int((harmful & cleared).sum()),
            "planted_request_pieces": int(planted.sum()),
            "planted_request_pieces_cleared": int((planted & cleared).sum()),
            "prose_pieces_cleared_share": round(float(cleared[~planted].mean()), 4),
            "prose_pieces_encoder_blocks (false positives)": int((~planted & (y >= 0.99)).sum()),
            "prose_pieces_encoder_blocks_cleared": int((~planted & (y >= 0.99) & cleared).sum()),
            "read_share": round(float((~cleared).mean()), 4),
        },
        "seconds": round(time.perf_counter() - started, 1),
    }
    PieceGate(final.coef_[0], float(final.intercept_[0]), cut, model, int8=True).save(out, card)
    console.print_json(data=card)
    console.print(f"wrote {out} (cut {cut:.4f})")


if __name__ == "__main__":
    app()
