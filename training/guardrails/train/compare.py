"""Heads side by side on the held-out split (learned rails only, fp32 vectors from the training cache).

    python -m training.guardrails.train.compare --data ../shared/data --heads OLD.npz models/guardrails/input_head.npz \
        [--embed-cache /tmp/emb.npz] [--out var/compare.json]

Cheap next to `python -m training.guardrails eval` (which runs the whole input stack and embeds every prompt again):
every held-out piece the training run embedded is reused.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from guardrails.classifier import Head, PromptScorer
from guardrails.head_rails import HarmfulRail, InjectionClassifierRail
from training.guardrails.evaluate import per_category
from training.guardrails.train.__main__ import CachedEmbedder, training_embedder
from training.guardrails.train.data import build

logger = logging.getLogger("training.guardrails.train.compare")


def compare(data: Path, heads: list[Path], cache: Path, seed: int = 13) -> dict[str, dict]:
    """head file -> {"heldout": set -> row, "per_category": category -> row}."""
    split = build(data, seed)
    emb = CachedEmbedder(training_embedder("fp32", threads=2), checkpoint=cache, tag="fp32")
    out: dict[str, dict] = {}
    for path in heads:
        scorer = PromptScorer(emb, Head.load(path), cache_size=0)
        rails = (InjectionClassifierRail(scorer), HarmfulRail(scorer))
        blocked = {name: [any(r.check(t).blocked for r in rails) for t in items]
                   for name, (items, _) in split.heldout.items()}
        rows = {name: {"n": len(b), "metric": "FPR" if split.heldout[name][1] == "benign" else "TPR",
                       "value": round(sum(b) / len(b), 4), "blocked": sum(b)} for name, b in blocked.items()}
        out[str(path)] = {"heldout": rows, "per_category": per_category(split, blocked)}
    emb.save()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m training.guardrails.train.compare")
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--heads", type=Path, nargs="+", required=True)
    ap.add_argument("--embed-cache", type=Path,
                    default=Path.home() / ".cache/ragguard/train/prompt_vectors_fp32.npz")
    ap.add_argument("--out", type=Path, default=Path("var/compare.json"))
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    result = compare(args.data, args.heads, args.embed_cache)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    names = list(result)
    first = result[names[0]]
    for section in ("heldout", "per_category"):
        for key, row in first[section].items():
            values = "  ".join(f"{result[h][section][key]['value']:.3f}" for h in names)
            logger.info("%-34s n=%4d %s  %s", key, row["n"], row["metric"], values)


if __name__ == "__main__":
    main()
