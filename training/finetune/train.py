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


def train(cfg: FinetuneConfig, progress: bool = True) -> Path:
    """Train, evaluate held-out answer loss (base vs adapter), save the adapter with its model card."""
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(cfg.seed)
    random.seed(cfg.seed)
    if cfg.device == "cpu":
        torch.set_num_threads(cfg.threads)
    started = time.monotonic()
    tokenizer, model = load_base(cfg)
    encoder = Encoder(tokenizer)
    train_set, held_out = cfg.splits()
    encoded = [e for e in map(encoder.encode, train_set) if len(e.ids) <= cfg.max_tokens]
    held = [e for e in map(encoder.encode, held_out) if len(e.ids) <= cfg.max_tokens][:cfg.loss_eval_size]
    logger.info("%d training sequences (%d too long, skipped)", len(encoded), len(train_set) - len(encoded))

    model = get_peft_model(model, LoraConfig(r=cfg.lora.r, lora_alpha=cfg.lora.alpha, lora_dropout=cfg.lora.dropout,
                                             target_modules=cfg.lora.target_modules, task_type="CAUSAL_LM",
                                             layers_to_transform=list(range(cfg.lora.first_layer,
                                                                            model.config.num_hidden_layers))))
    with model.disable_adapter():
        base_loss = mean_loss(model, held)
    steps = math.ceil(len(encoded) / cfg.batch_size) * cfg.epochs
    optim = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=cfg.learning_rate)
    sched = torch.optim.lr_scheduler.LambdaLR(
        optim, lambda s: min(1.0, (s + 1) / max(1, cfg.warmup_steps)) * max(0.05, 1 - s / steps))
    rng = random.Random(cfg.seed)
    bar = tqdm(total=steps, desc="train", disable=not progress)
    for _ in range(cfg.epochs):
        order = rng.sample(encoded, len(encoded))
        for start in range(0, len(order), cfg.batch_size):
            model.train()
            batch = order[start:start + cfg.batch_size]
            total = 0.0
            for enc in batch:
                loss = answer_loss(model, enc) / len(batch)
                loss.backward()
                total += float(loss.detach())
            optim.step()
            sched.step()
            optim.zero_grad()
            bar.update()
            bar.set_postfix(loss=f"{total:.3f}")
    bar.close()
    adapter_loss = mean_loss(model, held)
    out = cfg.adapter_dir
    model.peft_config["default"].base_model_name_or_path = BASE_MODEL_ID
    model.save_pretrained(out)
    metrics = {"train_examples": len(encoded), "held_out_examples": len(held), "steps": steps,
               "train_seconds": round(time.monotonic() - started, 1),
               "held_out_answer_loss": {"base": round(base_loss, 4), "adapter": round(adapter_loss, 4)}}
    (out / "train_metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    write_card(cfg, out)
    logger.info("adapter saved to %s: %s", out, metrics)
    return out
