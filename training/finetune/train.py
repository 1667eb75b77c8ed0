"""LoRA training on the gateway's prompt format: one sequence at a time, loss on the answer tokens only."""

from __future__ import annotations

import json
import logging
import math
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from engines.artifacts import CHAT_TEMPLATE
from training.finetune.card import write_card
from training.finetune.config import FinetuneConfig
from training.finetune.data import Example
from training.finetune.splits import splits

logger = logging.getLogger(__name__)
BASE_MODEL_ID = "google/gemma-3-270m"  # what the local GGUF and its HF conversion are


def base_model_path(cfg: FinetuneConfig) -> Path:
    if cfg.base_model is not None:
        return cfg.base_model
    from engines.artifacts import Artifacts
    from service.settings import Settings

    return Artifacts(Settings().cache_dir).ensure_hf_model()


@dataclass(frozen=True)
class Encoded:
    ids: torch.Tensor
    n_target: int  # the answer and its end-of-turn are the last n_target tokens


class Encoder:
    """Renders messages with the engines' chat template, so training sees what serving sends."""

    def __init__(self, tokenizer: Any) -> None:
        self.tok = tokenizer
        self.template = CHAT_TEMPLATE.read_text()

    def prompt(self, ex: Example) -> str:
        return str(self.tok.apply_chat_template(ex.messages(), chat_template=self.template, tokenize=False,
                                                add_generation_prompt=True))

    def encode(self, ex: Example) -> Encoded:
        prompt = self.tok(self.prompt(ex), add_special_tokens=False)["input_ids"]
        target = self.tok(ex.answer + "<end_of_turn>", add_special_tokens=False)["input_ids"]
        return Encoded(torch.tensor(prompt + target), len(target))


def answer_loss(model: Any, enc: Encoded) -> torch.Tensor:
    """Mean NLL of the answer tokens; logits are computed only where they are needed (big vocabulary)."""
    ids = enc.ids.to(model.device)
    logits = model(input_ids=ids[None], logits_to_keep=enc.n_target + 1).logits[0, :-1].float()
    return torch.nn.functional.cross_entropy(logits, ids[-enc.n_target:])


@torch.no_grad()
def mean_loss(model: Any, encoded: list[Encoded]) -> float:
    model.eval()
    return sum(float(answer_loss(model, e)) for e in encoded) / max(1, len(encoded))


def load_base(cfg: FinetuneConfig) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = base_model_path(cfg)
    dtype = torch.float32 if cfg.device == "cpu" else torch.bfloat16
    model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype, attn_implementation="eager").to(cfg.device)
    return AutoTokenizer.from_pretrained(path), model


def continued_from(adapter: Path | None) -> dict[str, Any]:
    """{"continued_from": the starting adapter's own run (its steps, examples, seconds, and where it had started)}
    for a continuation, so the card can give the whole training; {} for a fresh LoRA."""
    if adapter is None:
        return {}
    path = adapter / "train_metrics.json"
    run = json.loads(path.read_text()) if path.exists() else {}
    keep = ("steps", "train_examples", "train_seconds", "device", "continued_from")
    return {"continued_from": {"adapter": str(adapter), **{k: run[k] for k in keep if k in run}}}


def _order(n: int, seed: int, epoch: int) -> list[int]:
    """The same shuffle for an epoch on every run, so a resumed run takes the batches it had not taken."""
    return random.Random(seed * 1000 + epoch).sample(range(n), n)


def train(cfg: FinetuneConfig, progress: bool = True, max_steps: int | None = None, stop_at: int | None = None) -> Path:
    """Train (resuming from cfg's checkpoint folder), evaluate held-out answer loss (base vs adapter), save the
    adapter with its model card. max_steps stops early (timing runs) without saving an adapter; stop_at saves the
    adapter at that step of the schedule (a session's share of a longer run; the checkpoint resumes it later)."""
    from peft import LoraConfig, get_peft_model

    from training.finetune import checkpoint

    torch.manual_seed(cfg.seed)
    if cfg.device == "cpu":
        torch.set_num_threads(cfg.threads)
    started = time.monotonic()
    tokenizer, model = load_base(cfg)
    encoder = Encoder(tokenizer)
    train_set, held_out = splits(cfg)
    encoded = [e for e in map(encoder.encode, train_set) if len(e.ids) <= cfg.max_tokens]
    held = [e for e in map(encoder.encode, held_out) if len(e.ids) <= cfg.max_tokens][:cfg.loss_eval_size]
    logger.info("%d training sequences (%d too long, skipped), mean %.0f tokens", len(encoded),
                len(train_set) - len(encoded), sum(len(e.ids) for e in encoded) / max(1, len(encoded)))

    origin = continued_from(cfg.init_adapter)  # read with the weights it describes (a resume keeps its own)
    if cfg.init_adapter is not None:  # a continuation: the adapter's weights (and LoRA shape), trainable
        from peft import PeftModel

        dtype = model.dtype
        model = PeftModel.from_pretrained(model, cfg.init_adapter, is_trainable=True)
        for p in model.parameters():  # float16 weights as committed: train them in the base model's dtype
            if p.requires_grad:
                p.data = p.data.to(dtype)
    else:
        model = get_peft_model(model, LoraConfig(r=cfg.lora.r, lora_alpha=cfg.lora.alpha,
                                                 lora_dropout=cfg.lora.dropout,
                                                 target_modules=cfg.lora.target_modules, task_type="CAUSAL_LM",
                                                 layers_to_transform=list(range(cfg.lora.first_layer,
                                                                                model.config.num_hidden_layers))))
    per_epoch = math.ceil(len(encoded) / cfg.batch_size)
    steps = per_epoch * cfg.epochs
    optim = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=cfg.learning_rate)
    sched = torch.optim.lr_scheduler.LambdaLR(
        optim, lambda s: min(1.0, (s + 1) / max(1, cfg.warmup_steps)) * max(0.05, 1 - s / steps))
    folder = cfg.checkpoint_dir / cfg.name
    state = checkpoint.restore(folder, model, optim, sched) if max_steps is None else None
    step, spent = (state["step"], state["train_seconds"]) if state else (0, 0.0)
    if state:
        base_loss = state["base_loss"]
        origin = {k: state[k] for k in ("continued_from",) if k in state}
    else:
        with model.disable_adapter():
            base_loss = mean_loss(model, held)
    step0, spent0, cpu0 = step, spent, time.process_time()
    bar = tqdm(total=steps, initial=step, desc="train", disable=not progress)
    last = time.monotonic()
    end = min(steps, max_steps or steps, stop_at or steps)
    while step < end:
        order = _order(len(encoded), cfg.seed, step // per_epoch)
        at = (step % per_epoch) * cfg.batch_size
        batch = [encoded[i] for i in order[at:at + cfg.batch_size]]
        model.train()
        total = 0.0
        for enc in batch:
            loss = answer_loss(model, enc) / len(batch)
            loss.backward()
            total += float(loss.detach())
        torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
        optim.step()
        sched.step()
        optim.zero_grad()
        step += 1
        now = time.monotonic()
        spent, last = spent + now - last, now
        bar.update()
        bar.set_postfix(loss=f"{total:.3f}")
        if step <= 10 or step % 10 == 0 or step == steps:
            rate = (spent - spent0) / (step - step0)  # this run's pace (a resumed run's own steps)
            cpu = (time.process_time() - cpu0) / (step - step0)  # CPU seconds: the pace on an idle machine
            logger.info("step %d/%d loss %.3f, %.1f s/step wall, %.1f s/step CPU, eta %.1f h", step, steps, total,
                        rate, cpu, (steps - step) * rate / 3600)
        if max_steps is None and (step % cfg.checkpoint_every == 0 or step == steps):
            checkpoint.save(folder, model, optim, sched, step,
                            {"train_seconds": spent, "base_loss": base_loss, **origin})
    bar.close()
    if max_steps is not None:
        logger.info("timing run: %d steps, %.1f s/step (%d-token mean sequence)", step, spent / max(1, step - step0),
                    sum(len(e.ids) for e in encoded) / max(1, len(encoded)))
        return folder
    adapter_loss = mean_loss(model, held)
    out = cfg.adapter_dir
    model.peft_config["default"].base_model_name_or_path = BASE_MODEL_ID
    model.save_pretrained(out)
    metrics = {"data": cfg.data, "train_examples": len(encoded), "held_out_examples": len(held), "steps": step,
               "schedule_steps": steps,
               "train_seconds": round(spent, 1), "wall_seconds_this_run": round(time.monotonic() - started, 1),
               "device": cfg.device, "threads": cfg.threads, **origin,
               "held_out_answer_loss": {"base": round(base_loss, 4), "adapter": round(adapter_loss, 4)}}
    (out / "train_metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    write_card(cfg, out)
    logger.info("adapter saved to %s: %s", out, metrics)
    return out
