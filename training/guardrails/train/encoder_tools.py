"""What the MiniLM fine-tuning scripts share: the checkpointed training loop and the int8 ONNX export.

Used by `cross_encoder` (grounding support, one logit) and `harm_encoder` (benign / injection / harmful). Each
script builds its own batches, model and loss; `run_steps` walks the batches from the last checkpoint with
gradient clipping, a linear schedule and a checkpoint (model, optimizer, schedule, step, wall time) every
`checkpoint_every` steps, so `--resume` continues on the same batches. `export_int8` writes the fp32 ONNX graph
next to the model and a dynamically quantized (per-channel int8) copy into the folder the gateway reads.
"""

from __future__ import annotations

import argparse
import collections
import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

logger = logging.getLogger("training.guardrails.train.encoder_tools")


def training_parser(doc: str | None, out: Path, work: Path, presets: dict[str, dict[str, Any]], max_len: int,
                    checkpoint_every: int, lr: float | None, lr_help: str) -> argparse.ArgumentParser:
    """The options every fine-tuning script takes; each script adds its own before `parse_with_presets`."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=out)
    parser.add_argument("--work", type=Path, default=work)
    parser.add_argument("--device", choices=sorted(presets), default="cpu")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--lr", type=float, default=lr, help=lr_help)
    parser.add_argument("--warmup", type=float, default=0.06, help="share of the steps")
    parser.add_argument("--max-len", type=int, default=max_len)
    parser.add_argument("--checkpoint-every", type=int, default=checkpoint_every)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--export-only", action="store_true")
    return parser


def parse_with_presets(parser: argparse.ArgumentParser, presets: dict[str, dict[str, Any]]) -> argparse.Namespace:
    """Parsed options, each one left unset filled from the chosen device's preset."""
    args = parser.parse_args()
    for key, value in presets[args.device].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args


def prepare(threads: int, seed: int, device: str, work: Path) -> Any:
    """Torch on `threads` threads, seeded; the work folder made; returns the torch device."""
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    work.mkdir(parents=True, exist_ok=True)
    return torch.device("cuda" if device == "cuda" else "cpu")


def optimizer_and_schedule(model: Any, lr: float, warmup: float, steps: int) -> tuple[Any, Any]:
    """AdamW (weight decay 0.01) with linear warmup over `warmup` of the `steps`, then linear decay."""
    import torch
    from transformers import get_linear_schedule_with_warmup

    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    return optimizer, get_linear_schedule_with_warmup(optimizer, int(warmup * steps), steps)


def save_final(model: Any, tokenizer: Any, work: Path, info: dict[str, object]) -> Path:
    """Model, tokenizer and `train_info.json` into `work / "final"` (what `export_int8` reads)."""
    final = work / "final"
    model.save_pretrained(final)
    tokenizer.save_pretrained(final)
    (final / "train_info.json").write_text(json.dumps(info, indent=2) + "\n")
    return final


def run_steps(model: Any, optimizer: Any, schedule: Any, batches: Sequence[Any], loss_of: Callable[[Any], Any],
              checkpoint: Path, resume: bool, total: int | None = None, checkpoint_every: int = 50,
              device: Any = "cpu") -> tuple[float, list[float]]:
    """Train on `batches[step:total]` (`loss_of(batch)` -> the loss tensor), resuming from `checkpoint` when
    asked; returns (wall seconds including earlier runs, the last 50 losses). Saves the final state too."""
    import torch

    total = len(batches) if total is None else total
    step, spent = 0, 0.0
    if resume and checkpoint.exists():
        state = torch.load(checkpoint, map_location=device, weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        step, spent = state["step"], state["seconds"]
        logger.info("resumed at step %d of %d", step, total)
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
        loss = loss_of(batches[step])
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
        if (step + 1) % checkpoint_every == 0:
            save(step + 1)
    save(total)
    return time.monotonic() - started, list(losses)


def export_int8(model_dir: Path, out: Path, onnx_file: str, sample: Any, fp32_name: str) -> Path:
    """The model in `model_dir` as ONNX (fp32, `model_dir / fp32_name`) traced on `sample` (tokenizer output
    with the three BERT inputs), dynamically quantized to int8 per channel into `out / onnx_file`."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModelForSequenceClassification

    from index.onnx_embedder import positional_module
    from index.onnx_runner import INPUTS

    model = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    fp32 = model_dir / fp32_name
    axes = {n: {0: "batch", 1: "tokens"} for n in INPUTS} | {"logits": {0: "batch"}}
    with torch.no_grad():
        torch.onnx.export(positional_module(model, "logits"), tuple(sample[n] for n in INPUTS), str(fp32),
                          input_names=list(INPUTS), output_names=["logits"], dynamic_axes=axes,
                          opset_version=17, dynamo=False)
    out.mkdir(parents=True, exist_ok=True)
    target = out / onnx_file
    quantize_dynamic(str(fp32), str(target), weight_type=QuantType.QInt8, per_channel=True)
    logger.info("exported %s (%.1f MB)", target, target.stat().st_size / 1e6)
    return target


def train_then_export(args: Any, train: Callable[[Any], dict[str, object]], export: Callable[[Path, Path], Path],
                      info_file: str) -> None:
    """A training script's main: train (unless `--export-only`), the run's info beside the model, then export."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if not args.export_only:
        info = train(args)
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / info_file).write_text(json.dumps(info, indent=2) + "\n")
    export(args.work / "final", args.out)
