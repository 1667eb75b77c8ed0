"""Precision / recall of the PII rail on presidio-research's synthetic set, and its p50 latency.

    python -m training.guardrails.train.pii_eval --data ../shared/data [--limit 500]

A prediction counts when it overlaps a gold span of the same (mapped) type. Only entity types the
rail's policy handles are scored; the dataset's STREET_ADDRESS and GPE are Presidio's LOCATION.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import statistics
import time
from collections import Counter
from pathlib import Path

from guardrails.pii import PIIRail

logger = logging.getLogger("training.guardrails.train.pii_eval")
GOLD_TO_PRESIDIO = {"STREET_ADDRESS": "LOCATION", "GPE": "LOCATION", "DOMAIN_NAME": "URL"}


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m training.guardrails.train.pii_eval")
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--limit", type=int, default=500, help="records to score (seeded sample); 0 = all")
    ap.add_argument("--out", type=Path, default=Path("models/guardrails/pii_metrics.json"))
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    records = json.loads((args.data / "pii/synth_dataset_v2.json").read_text())
    if args.limit:
        records = random.Random(13).sample(records, min(args.limit, len(records)))
    rail = PIIRail()
    scored = set(rail.policy)
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    seconds = []
    for rec in records:
        text = rec["full_text"]
        gold = [(GOLD_TO_PRESIDIO.get(s["entity_type"], s["entity_type"]), s["start_position"], s["end_position"])
                for s in rec["spans"]]
        gold = [g for g in gold if g[0] in scored]
        t0 = time.perf_counter()
        rail.mask(text)
        seconds.append(time.perf_counter() - t0)
        pred = [(r.entity_type, r.start, r.end) for r in rail.analyze(text)]
        matched = set()
        for kind, s, e in pred:
            hit = next((i for i, g in enumerate(gold) if g[0] == kind and s < g[2] and g[1] < e), None)
            if hit is None:
                fp[kind] += 1
            else:
                matched.add(hit)
                tp[kind] += 1
        for i, g in enumerate(gold):
            if i not in matched:
                fn[g[0]] += 1

    def pr(t: int, p: int, n: int) -> dict[str, float]:
        return {"precision": round(t / (t + p), 4) if t + p else 0.0,
                "recall": round(t / (t + n), 4) if t + n else 0.0, "support": t + n}

    per_type = {k: pr(tp[k], fp[k], fn[k]) for k in sorted(set(tp) | set(fp) | set(fn))}
    result = {"records": len(records), "overall": pr(sum(tp.values()), sum(fp.values()), sum(fn.values())),
              "per_type": per_type,
              "mask_p50_ms": round(statistics.median(seconds) * 1000, 2)}
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    logger.info("%s", json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
