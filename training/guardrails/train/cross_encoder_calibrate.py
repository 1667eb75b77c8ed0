"""Choose the cascade's band and the rail's threshold on the validation split; write cascade.json.

    python -m training.guardrails.train.cross_encoder_calibrate --data ../shared/data [--embed-cache /tmp/g.npz]

On validation pairs (windows and evidence picked by embedding, as the rail picks them):
- `low`: cheap (model + exact) scores below it are rejected without the cross-encoder; at most
  `--cheap-removal` of the supported claims fall there;
- `high`: cheap scores at or above it are accepted without the cross-encoder; at most `--cheap-accept` of the
  unsupported claims reach it;
- `threshold`: the cross-encoder's cut inside the band, the highest at which the whole rail keeps at least
  `--keep` of the supported claims (a `strip` policy removes at most 1 - keep of right sentences).
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

import numpy as np

from guardrails.grounding_cross_encoder import ONNX_FILE, CrossEncoder
from guardrails.grounding_model import MODEL_DIR, Cascade, SupportModel
from training.guardrails.eval_grounding import (
    cascade_scores,
    cross_scores,
    extractive_claims,
    missing_facts,
    model_scores,
    with_exact,
)
from training.guardrails.train.grounding_data import EmbeddingCache, build, embedding_picker, for_evaluation

logger = logging.getLogger("training.guardrails.train.cross_encoder_calibrate")


def choose(labels: np.ndarray, cheap: np.ndarray, cross: np.ndarray, keep: float, cheap_removal: float,
           cheap_accept: float, extractive: np.ndarray | None = None,
           failed: np.ndarray | None = None) -> Cascade:
    """The band from the cheap scores' tails, then the highest threshold that keeps `keep` of the positives."""
    low = float(np.quantile(cheap[labels == 1], cheap_removal))
    high = max(float(np.quantile(cheap[labels == 0], 1.0 - cheap_accept)), low + 1e-6)
    for t in np.round(np.arange(0.95, 0.0, -0.01), 2):
        rail = cascade_scores(cheap, cross, Cascade(low, high, float(t)), extractive, failed)
        if (rail[labels == 1] >= t).mean() >= keep:
            return Cascade(round(low, 4), round(high, 4), float(t))
    return Cascade(round(low, 4), round(high, 4), 0.01)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--model-dir", type=Path, default=MODEL_DIR)
    parser.add_argument("--embed-cache", type=Path)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--keep", type=float, default=0.9)
    parser.add_argument("--cheap-removal", type=float, default=0.02)
    parser.add_argument("--cheap-accept", type=float, default=0.02)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    from index.embedder import load_embedder

    vectors = EmbeddingCache(load_embedder(threads=1).embed, args.embed_cache)
    split = for_evaluation(build(args.data, args.seed), embedding_picker(vectors), seed=args.seed)
    pairs = split.validation
    labels = np.array([p.label for p in pairs])
    cheap = with_exact(model_scores(SupportModel(args.model_dir), pairs, vectors), pairs)
    cross = cross_scores(CrossEncoder(args.model_dir / ONNX_FILE), pairs, vectors)
    vectors.save()
    cascade = choose(labels, cheap, cross, args.keep, args.cheap_removal, args.cheap_accept,
                     extractive_claims(pairs), missing_facts(pairs))
    config = {"low": cascade.low, "high": cascade.high, "threshold": cascade.threshold, "keep": args.keep,
              "cheap_removal": args.cheap_removal, "cheap_accept": args.cheap_accept,
              "validation_pairs": len(pairs), "validation_positives": int(labels.sum())}
    (args.model_dir / "cascade.json").write_text(json.dumps(config, indent=2) + "\n")
    logger.info("cascade: %s", config)


if __name__ == "__main__":
    main()
