"""Measure the grounding model against the embedding-similarity baseline on labelled (claim, window) pairs.

    python -m training.guardrails eval-grounding --data ../shared/data

Reports AUROC, balanced accuracy, kept (share of supported claims judged supported) and caught (share of
unsupported claims judged unsupported) at each scorer's default threshold, and model latency per claim, on
the held-out split of the training sources and on sources never trained on. Scorers:
- `embedding`: the skeleton's baseline (cosine of claim and its nearest window; threshold from settings),
- `model`: the cheap logistic support model alone (its committed threshold),
- `model+exact`: the cheap model with the exact number/name checks (halving),
- `cross-encoder+exact`: the cross-encoder on the claim's top-3 evidence sentences, with the exact checks,
- `rail`: the cascade as served (cheap model outside its band, cross-encoder inside; `cascade.json`).
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn.metrics import balanced_accuracy_score, roc_auc_score

from guardrails.exact import check_facts
from guardrails.grounding_cross_encoder import ONNX_FILE, CrossEncoder
from guardrails.grounding_model import MODEL_DIR, Cascade, SupportModel, verbatim
from training.guardrails.train.cross_encoder_data import embedding_evidence
from training.guardrails.train.grounding_data import (
    EmbeddingCache,
    GroundingSplit,
    Pair,
    build,
    embedding_picker,
    for_evaluation,
)

Embed = Callable[[list[str]], np.ndarray]  # texts -> normalized vectors


def model_scores(model: SupportModel, pairs: list[Pair], embed: Embed) -> np.ndarray:
    cosines = embedding_scores(embed, pairs)
    return model.score([p.claim for p in pairs], [p.window for p in pairs], cosines.tolist())


def embedding_scores(embed: Embed, pairs: list[Pair]) -> np.ndarray:
    claims, windows = embed([p.claim for p in pairs]), embed([p.window for p in pairs])
    return (claims * windows).sum(axis=1)


def with_exact(scores: np.ndarray, pairs: list[Pair], whole: bool = False) -> np.ndarray:
    """The rail's combination: a number or name missing from the window (or `whole` passage) halves the support."""
    return np.array([s * (1.0 if check_facts(p.claim, [p.passage if whole and p.passage else p.window]).ok else 0.5)
                     for s, p in zip(scores, pairs, strict=True)])


def summarize(labels: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, float]:
    judged = scores >= threshold
    return {"auroc": round(float(roc_auc_score(labels, scores)), 4),
            "balanced_accuracy": round(float(balanced_accuracy_score(labels, judged)), 4),
            "kept": round(float(judged[labels == 1].mean()), 4),
            "caught": round(float((~judged)[labels == 0].mean()), 4),
            "kept_at_caught_0.6": kept_at_caught(labels, scores, 0.6),
            "threshold": round(threshold, 4), "n": int(len(labels)), "positives": int(labels.sum())}


def kept_at_caught(labels: np.ndarray, scores: np.ndarray, caught: float) -> float:
    """The share of supported claims kept by the threshold that catches `caught` of the unsupported ones."""
    cut = float(np.quantile(scores[labels == 0], caught))
    return round(float((scores[labels == 1] > cut).mean()), 4)


def cross_scores(scorer: CrossEncoder, pairs: list[Pair], embed: Embed) -> np.ndarray:
    """The cross-encoder on each claim's top-3 evidence sentences (picked by embedding, as the rail does),
    halved when a number or name of the claim is missing from the whole passage."""
    pick = embedding_evidence(embed)
    scores = scorer.score([pick(p.claim, p.passage) for p in pairs], [p.claim for p in pairs])
    return with_exact(scores, pairs, whole=True)


def cascade_scores(cheap: np.ndarray, cross: np.ndarray, cascade: Cascade,
                   extractive: np.ndarray | None = None, failed: np.ndarray | None = None) -> np.ndarray:
    """The rail's decision as one score ranked for AUROC: cheap accepts (and `extractive` claims: verbatim with
    their numbers and names found) above everything, cheap rejects (and `failed` claims: a number or name not
    in the passage) below, the cross-encoder's score between."""
    if extractive is not None:
        cheap = np.where(extractive, np.maximum(cheap, cascade.high), cheap)
    if failed is not None:  # a number or name missing from the passage fails the claim in the rail
        cheap = np.where(failed, np.minimum(cheap, cascade.low - 1e-6), cheap)
    return np.where(cheap >= cascade.high, 2.0 + cheap, np.where(cheap < cascade.low, cheap - 2.0, cross))


def missing_facts(pairs: list[Pair]) -> np.ndarray:
    return np.array([not check_facts(p.claim, [p.passage or p.window]).ok for p in pairs])


def extractive_claims(pairs: list[Pair]) -> np.ndarray:
    """Claims the rail accepts without the cross-encoder: verbatim in their window, facts in their passage."""
    return np.array([verbatim(p.claim, p.window) and check_facts(p.claim, [p.passage or p.window]).ok
                     for p in pairs])


def best_threshold(labels: np.ndarray, scores: np.ndarray) -> float:
    """The threshold with the best balanced accuracy (chosen on validation only)."""
    candidates = np.unique(np.round(scores, 3))
    accs = [balanced_accuracy_score(labels, scores >= t) for t in candidates]
    return float(candidates[int(np.argmax(accs))])


def latency_per_claim_ms(model: SupportModel, pairs: list[Pair], embed: Embed, answers: int = 60) -> dict[str, float]:
    """Embedding the claims + scoring, per claim, for answers of 3 claims (window embeddings are cached)."""
    times = []
    for i in range(0, min(len(pairs), 3 * answers), 3):
        batch = pairs[i:i + 3]
        started = time.perf_counter()
        claims = embed([p.claim + " " for p in batch])  # not in the cache: measured as the rail pays it
        windows = embed([p.window for p in batch])
        model.score([p.claim for p in batch], [p.window for p in batch], (claims * windows).sum(axis=1).tolist())
        times.append((time.perf_counter() - started) * 1000 / len(batch))
    return {"p50_ms": round(statistics.median(times), 2), "p95_ms": round(float(np.percentile(times, 95)), 2)}


def evaluate(split: GroundingSplit, model: SupportModel, embed: Embed, baseline_threshold: float,
             scorer: CrossEncoder | None = None, cascade: Cascade | None = None) -> dict[str, object]:
    report: dict[str, object] = {}
    for name, pairs in (("heldout", split.heldout), ("unseen", split.unseen)):
        labels = np.array([p.label for p in pairs])
        ours = model_scores(model, pairs, embed)
        cheap = with_exact(ours, pairs)
        part: dict[str, object] = {
            "embedding": summarize(labels, embedding_scores(embed, pairs), baseline_threshold),
            "model": summarize(labels, ours, model.threshold),
            "model+exact": summarize(labels, cheap, model.threshold),
        }
        if scorer is not None and cascade is not None:
            cross = cross_scores(scorer, pairs, embed)
            extractive = extractive_claims(pairs)
            rail = cascade_scores(cheap, cross, cascade, extractive, missing_facts(pairs))
            part["cross-encoder+exact"] = summarize(labels, cross, cascade.threshold)
            part["rail"] = summarize(labels, rail, cascade.threshold)
            part["rail_escalated"] = round(float(((rail > -1.0) & (rail < 2.0)).mean()), 4)
            part["rail_tradeoff"] = tradeoff(labels, rail)
            part["by_source_auroc_rail"] = _by_source(pairs, rail)
        part["by_source_auroc"] = _by_source(pairs, ours)
        report[name] = part
    report["latency_per_claim"] = latency_per_claim_ms(model, split.heldout, embed)
    return report


def tradeoff(labels: np.ndarray, scores: np.ndarray,
             cuts: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)) -> list[dict[str, float]]:
    """Kept and caught at a few thresholds (the card's trade-off table)."""
    return [{"threshold": t, "kept": round(float((scores[labels == 1] >= t).mean()), 4),
             "caught": round(float((scores[labels == 0] < t).mean()), 4)} for t in cuts]


def _by_source(pairs: list[Pair], scores: np.ndarray) -> dict[str, float]:
    """AUROC per dataset (positives of a dataset vs its own negatives), where both classes exist."""
    out = {}
    for dataset in sorted({p.source.split("/")[0] if p.source.startswith(("covid", "pubmed")) else p.source
                           for p in pairs}):
        idx = [i for i, p in enumerate(pairs) if p.source.startswith(dataset)]
        labels = np.array([pairs[i].label for i in idx])
        if 0 < labels.sum() < len(labels):
            out[dataset] = round(float(roc_auc_score(labels, scores[idx])), 4)
    return out


def run(data: Path, seed: int, baseline_threshold: float, out: Path | None, embed_cache: Path | None = None,
        model_dir: Path = MODEL_DIR, int8: bool = False) -> dict[str, object]:
    """Rebuild the same split the training used (same seed) and measure the committed models."""
    from index.embedder import load_embedder

    embedder = load_embedder(threads=1, int8=int8)
    vectors = EmbeddingCache(embedder.embed, embed_cache)
    split = for_evaluation(build(data, seed), embedding_picker(vectors), seed=seed)
    vectors.save()
    cascade = Cascade.load(model_dir)
    scorer = CrossEncoder(model_dir / ONNX_FILE) if cascade else None
    report = evaluate(split, SupportModel(model_dir), vectors, baseline_threshold, scorer, cascade)
    vectors.save()
    if out is not None:
        out.write_text(json.dumps(report, indent=2) + "\n")
    return report


def print_report(report: dict[str, object]) -> None:
    """The side-by-side table: baseline vs model, per evaluation set."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title="grounding: embedding baseline vs trained models")
    for column in ("set", "scorer", "AUROC", "bal. acc.", "kept", "caught", "kept@caught 0.6", "threshold",
                   "pairs (supported)"):
        table.add_column(column)
    for name in ("heldout", "unseen"):
        part = report[name]
        assert isinstance(part, dict)
        for scorer in ("embedding", "model", "model+exact", "cross-encoder+exact", "rail"):
            if scorer not in part:
                continue
            m = part[scorer]
            table.add_row(name, scorer, f"{m['auroc']:.3f}", f"{m['balanced_accuracy']:.3f}", f"{m['kept']:.3f}",
                          f"{m['caught']:.3f}", f"{m['kept_at_caught_0.6']:.3f}", f"{m['threshold']:.3f}",
                          f"{m['n']} ({m['positives']})")
    console = Console()
    console.print(table)
    for name in ("heldout", "unseen"):
        part = report[name]
        assert isinstance(part, dict)
        if "rail_escalated" in part:
            console.print(f"{name}: share of claims sent to the cross-encoder {part['rail_escalated']:.2f}")
    console.print(f"model latency per claim (answers of 3 claims): {report['latency_per_claim']}")
