"""The adapter's model card (README.md): what it is, the data and licenses, and its measured metrics."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from models import MODELS_DIR
from training.finetune.config import FinetuneConfig

logger = logging.getLogger(__name__)


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


def _docs_table(docs: dict) -> str:  # type: ignore[type-arg]
    if not docs:
        return "Not evaluated yet: run `python -m training.finetune eval --docs`."
    rows = ["| metric | base | adapter |", "|---|---|---|"]
    rows += [f"| {metric} | {docs['base'][metric]} | {docs['adapter'][metric]} |" for metric in docs["base"]]
    return "\n".join(rows) + (f"\n\nMeasured on {docs.get('how', '')}. A recited prompt holds the answer but is "
                               "never counted right; `refusal_sentence_share` counts the fact-check's `refusal` "
                               "verdict, which a citation-only fragment (`[2].`) gets too; `gold_retrieved_rate`: "
                               "the expected file was among the sources shown.")


def _stopped(train: dict) -> str:  # type: ignore[type-arg]
    """" (saved at step N of an M-step schedule)" for an adapter saved before its schedule ended, else ""."""
    total = train.get("schedule_steps")
    return f" (saved at step {train.get('steps')} of a {total}-step schedule)" if total and total != train.get(
        "steps") else ""


def _continued(train: dict) -> str:  # type: ignore[type-arg]
    """For a continuation: the run it started from, and the whole training in steps and seconds."""
    runs, before = [], train.get("continued_from")
    while before:
        runs.append(before)
        before = before.get("continued_from")
    if not runs:
        return ""
    steps = train.get("steps", 0) + sum(r.get("steps", 0) for r in runs)
    seconds = train.get("train_seconds", 0.0) + sum(r.get("train_seconds", 0.0) for r in runs)
    first = ", ".join(f"{r.get('steps')} steps of {r.get('train_examples')} examples in {r.get('train_seconds')} s"
                      for r in runs)
    return (f" It continues the adapter it started from (`init_adapter`: {first}), so the whole training is "
            f"{steps} steps and {round(seconds, 1)} s of {train.get('device', 'cpu')} wall time.")


def _relative(path: Path) -> str:
    """A config's path as the project's commands name it (relative to the project root when inside it)."""
    try:
        return str(path.resolve().relative_to(MODELS_DIR.parent))
    except ValueError:
        return str(path)


def _training(cfg: FinetuneConfig, train: dict) -> str:  # type: ignore[type-arg]
    """The Training and Data bullets: what this adapter was trained on, how long, how it was split."""
    layers = f"layers {cfg.lora.first_layer}-17" if cfg.lora.first_layer else "all 18 layers"
    command = "python -m training.finetune train" + (f" --config {_relative(cfg.source)}" if cfg.source else "")
    run = (f"- **Training**: `{command}` ({train.get('train_examples', cfg.train_size)} "
           f"examples, {cfg.epochs} epoch(s), {train.get('steps', '?')} steps of {cfg.batch_size}"
           f"{_stopped(train)}, seed {cfg.seed}, "
           f"LoRA r={cfg.lora.r} alpha={cfg.lora.alpha} on {', '.join(cfg.lora.target_modules)} of {layers}, "
           f"lr {cfg.learning_rate}, at most {cfg.max_tokens} tokens a sequence, {cfg.device} with {cfg.threads} "
           f"thread(s), {train.get('train_seconds', '?')} s wall time). Loss only on answer tokens."
           + _continued(train))
    if cfg.data == "pairs":
        return run + f"""
- **Data**: PubMedQA expert set (`ori_pqal.json`, MIT; the yes/no/maybe decision and the conclusion of the
  long answer) and COVID-QA (`200423_covidQA.json`, Apache-2.0; the answer span), each shown with two
  numbered passages of {cfg.passage_chars} characters in the gateway's own prompt (`service/prompt.py`);
  {cfg.unanswerable:.0%} of the questions are shown with another question's passages and answered with the
  refusal. Split by question: {cfg.eval_size} held-out examples never seen in training."""
    return run + f"""
- **Data** (`python -m training.finetune data`, `training/finetune/serving_data.py`): the serving distribution.
  One index over PubMedQA's expert set (`ori_pqal.json`, MIT), COVID-QA (`200423_covidQA.json`, Apache-2.0) and
  ragguard's `docs/`, built with the index's chunker (200 tokens, 40 overlap) and embedder, searched with the
  gateway's hybrid retriever at the default top_k, each question rendered with `service/prompt.py`. Gold chunk
  retrieved: the extractive sentence that holds the answer with its `[n]` (PubMedQA: the decision, then the
  sentence nearest the expert conclusion); gold not retrieved, or a TruthfulQA question (`TruthfulQA.csv`,
  Apache-2.0; no corpus answers it): the refusal. Split by source document: {cfg.held_out_share:.0%} of the
  documents and their questions held out, and training questions are retrieved from an index without them.
  The docs Q&A set is never trained on (docs/ chunks are only distractors).""" + _tech_docs(cfg)


def _tech_docs(cfg: FinetuneConfig) -> str:
    """The synthetic technical READMEs' line, when the config adds them."""
    if not cfg.tech_docs:
        return ""
    return f"""
- **Synthetic technical READMEs** (`training/finetune/tech_docs.py`, {cfg.tech_docs} of them, generated here: made-up
  services' settings tables, ports, commands and endpoints, never ragguard's) join the index, split by README,
  about 18 templated questions each answered by the sentence stating the README's value{_readme_forms(cfg)}. Mix:
  {cfg.mix}; the weights are saved in float16 for the repository (7.6 MB)."""


def _readme_forms(cfg: FinetuneConfig) -> str:
    """How the READMEs are written beyond the settings table: prose, metrics and errors sections."""
    prose = (f"; {cfg.tech_prose:.0%} of the READMEs are written as paragraphs with the settings inline instead of "
             "a table") if cfg.tech_prose else ""
    return prose + (f"; {cfg.tech_extras:.0%} have metrics and errors sections too (`tech_extras.py`: which metric "
                    "counts what, which status and error code a failure gets)" if cfg.tech_extras else "")


def write_card(cfg: FinetuneConfig, out: Path) -> None:
    """The card from cfg and the metrics files beside the adapter; left as it is when cfg did not train it."""
    train = _json(out / "train_metrics.json")
    if train and train.get("data", "pairs") != cfg.data:  # (the shipped adapter predates `data`: pairs)
        logger.warning("card of %s not rewritten: trained on %s data, the config says %s", out,
                       train.get("data", "pairs"), cfg.data)
        return
    evaluation = _json(out / "eval_metrics.json")
    docs = _json(out / "docs_eval_metrics.json")
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

{_training(cfg, train)}
- **License**: the adapter is a derivative of Gemma 3 and is used under the Gemma Terms of Use;
  the training data licenses are MIT and Apache-2.0.

## Metrics

Held-out mean answer-token loss: base {train.get("held_out_answer_loss", {}).get("base")},
adapter {train.get("held_out_answer_loss", {}).get("adapter")} ({train.get("steps")} steps,
{train.get("train_seconds")} s wall time including loading).

{_eval_table(evaluation)}

### The docs set through the gateway

`training/finetune/docs_qa.jsonl`: questions about ragguard written from `docs/` (expected span and source file;
some the docs cannot answer, expected: the refusal), never trained on, asked through the real road
(`python -m training.finetune eval --docs`): answer accuracy (every word of an expected span in the answer; a
refusal is never right), token F1, right citation (a cited `[n]` whose citation is the expected file), and the
fact-check's verdicts of the answer sentences.

{_docs_table(docs)}
""")
