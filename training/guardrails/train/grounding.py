"""Train the grounding support model and measure it on held-out data.

    python -m training.guardrails.train.grounding --data ../shared/data --out models/guardrails/grounding

A logistic model over `guardrails.grounding_model.pair_features` (embedding cosine of claim and window,
word and bigram overlap, numbers/names of the claim missing from the window, negation mismatch, claim
length), fitted on (claim, window) pairs (see grounding_data). Seeded and deterministic. Writes
grounding.json (feature scaling, weights, the operating threshold chosen on the validation split) and
metrics.json (held-out and unseen sets against the embedding baseline).
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

from guardrails.grounding_model import FEATURES, SupportModel, pair_features
from index.embedder import SentenceTransformerEmbedder
from training.guardrails.eval_grounding import best_threshold, embedding_scores, evaluate, model_scores
from training.guardrails.train.grounding_data import (
    FILES,
    EmbeddingCache,
    Pair,
    build,
    embedding_picker,
    for_evaluation,
)

logger = logging.getLogger("training.guardrails.train.grounding")


def features(pairs: list[Pair], cosines: np.ndarray) -> np.ndarray:
    return np.array([pair_features(p.claim, p.window, float(c)) for p, c in zip(pairs, cosines, strict=True)])


def fit(x: np.ndarray, y: np.ndarray, xv: np.ndarray, yv: np.ndarray) -> tuple[dict[str, object], float]:
    """Standardized logistic regression, class-balanced; C chosen by validation log-loss."""
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    best: tuple[float, LogisticRegression] | None = None
    for c in (0.01, 0.1, 1.0, 10.0):
        clf = LogisticRegression(C=c, class_weight="balanced", max_iter=2000).fit((x - mean) / scale, y)
        loss = log_loss(yv, clf.predict_proba((xv - mean) / scale)[:, 1])
        if best is None or loss < best[0]:
            best = (loss, clf)
    assert best is not None
    loss, clf = best
    return {"features": list(FEATURES), "mean": mean.round(6).tolist(), "scale": scale.round(6).tolist(),
            "weights": clf.coef_[0].round(6).tolist(), "bias": round(float(clf.intercept_[0]), 6),
            "C": clf.C, "threshold": 0.5}, loss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=Path("models/guardrails/grounding"))
    parser.add_argument("--threads", type=int, default=1, help="1 is fastest on a busy 2-core machine")
    parser.add_argument("--embed-cache", type=Path, help="keep embeddings here between runs (.npz)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--baseline-threshold", type=float, default=0.55, help="the embedding rail's setting")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    started = time.monotonic()

    vectors = EmbeddingCache(SentenceTransformerEmbedder(threads=args.threads).embed, args.embed_cache)
    split = build(args.data, args.seed)
    logger.info("pairs: train %d, validation %d, held-out %d, unseen %d", len(split.train),
                len(split.validation), len(split.heldout), len(split.unseen))
    x, y = features(split.train, embedding_scores(vectors, split.train)), np.array([p.label for p in split.train])
    vectors.save()
    split = for_evaluation(split, embedding_picker(vectors), seed=args.seed)
    vectors.save()
    xv = features(split.validation, embedding_scores(vectors, split.validation))
    yv = np.array([p.label for p in split.validation])
    config, val_loss = fit(x, y, xv, yv)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "grounding.json").write_text(json.dumps(config, indent=2) + "\n")
    model = SupportModel(args.out)
    config["threshold"] = round(best_threshold(yv, model_scores(model, split.validation, vectors)), 3)
    (args.out / "grounding.json").write_text(json.dumps(config, indent=2) + "\n")

    report = evaluate(split, SupportModel(args.out), vectors, args.baseline_threshold)
    vectors.save()
    report.update(seed=args.seed, validation_log_loss=round(val_loss, 4),
                  train_seconds=round(time.monotonic() - started, 1),
                  sizes={"train": len(split.train), "validation": len(split.validation),
                         "heldout": len(split.heldout), "unseen": len(split.unseen)}, files=FILES)
    (args.out / "metrics.json").write_text(json.dumps(report, indent=2) + "\n")
    logger.info("done: %s", json.dumps(report))


if __name__ == "__main__":
    main()
