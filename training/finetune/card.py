"""The adapter's model card (README.md): what it is, the data and licenses, and its measured metrics."""

from __future__ import annotations

import json
from pathlib import Path

from training.finetune.config import FinetuneConfig


def _json(path: Path) -> dict:  # type: ignore[type-arg]
    return json.loads(path.read_text()) if path.exists() else {}


def _eval_table(evaluation: dict) -> str:  # type: ignore[type-arg]
    if not evaluation:
        return "Not evaluated yet: run `python -m training.finetune eval`."
    rows = ["| metric | base | adapter |", "|---|---|---|"]
    for metric in evaluation["base"]:
        rows.append(f"| {metric} | {evaluation['base'][metric]} | {evaluation['adapter'][metric]} |")
    return "\n".join(rows) + (f"\n\nMeasured {evaluation.get('how', '')}. Greedy decoding, so a rerun gives the "
                               "same numbers. A citation counts only outside a recited prompt: the base model "
                               "recites the instructions and the numbered sources (`prompt_echo_rate`), whose "
                               "`[1]` is no citation.")


def write_card(cfg: FinetuneConfig, out: Path) -> None:
    train = _json(out / "train_metrics.json")
    evaluation = _json(out / "eval_metrics.json")
    (out / "README.md").write_text(f"""---
base_model: google/gemma-3-270m
library_name: peft
license: gemma
tags: [lora, rag, citations]
---

# {cfg.name}

A LoRA adapter (PEFT format) for Gemma 3 270M, the gateway's local base model. It teaches the base
model ragguard's prompt: answer from the numbered sources with a `[n]` citation, and answer
"I do not know: the sources do not say." when the sources do not hold the answer.

- **Training**: `python -m training.finetune train` ({cfg.train_size} examples, {cfg.epochs} epochs, seed {cfg.seed},
  LoRA r={cfg.lora.r} alpha={cfg.lora.alpha} on {", ".join(cfg.lora.target_modules)}, lr {cfg.learning_rate},
  at most {cfg.max_tokens} tokens a sequence; config `training/finetune/config.yaml`). Loss only on answer tokens.
- **Data**: PubMedQA expert set (`ori_pqal.json`, MIT; the yes/no/maybe decision and the conclusion of the
  long answer) and COVID-QA (`200423_covidQA.json`, Apache-2.0; the answer span), each shown with two
  numbered passages in the gateway's own prompt (`service/prompt.py`); {cfg.unanswerable:.0%} of the
  questions are shown with another question's passages and answered with the refusal. Split by question:
  {cfg.eval_size} held-out examples never seen in training.
- **License**: the adapter is a derivative of Gemma 3 and is used under the Gemma Terms of Use;
  the training data licenses are MIT and Apache-2.0.

## Metrics

Held-out mean answer-token loss: base {train.get("held_out_answer_loss", {}).get("base")},
adapter {train.get("held_out_answer_loss", {}).get("adapter")} ({train.get("steps")} steps,
{train.get("train_seconds")} s wall time including loading).

{_eval_table(evaluation)}
""")
