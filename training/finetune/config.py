"""The fine-tuning config: one YAML file, every field with a default."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field

DEFAULT_CONFIG = Path(__file__).resolve().parent / "config.yaml"


class LoraConfig(BaseModel):
    r: int = Field(default=16, ge=1)
    alpha: int = 32
    dropout: float = 0.05
    target_modules: list[str] = ["q_proj", "k_proj", "v_proj", "o_proj"]
    first_layer: int = Field(default=0, ge=0)  # adapt layers first_layer.. only; gradients stop below


class FinetuneConfig(BaseModel):
    name: str = "gemma-3-270m-ragguard"
    # serving: the gateway's road (real chunker, retriever, top_k; serving_data.py); pairs: two clipped passages
    data: Literal["serving", "pairs"] = "serving"
    data_cache: Path = Path("var/finetune/data")  # serving examples, built once (`python -m training.finetune data`)
    held_out_share: float = Field(default=0.1, gt=0.0, lt=1.0)  # serving: share of corpus documents held out
    # serving: synthetic technical READMEs (tech_docs.py) added to the corpus; give them their own data_cache
    tech_docs: int = Field(default=0, ge=0)
    tech_prose: float = Field(default=0.0, ge=0.0, le=1.0)  # the share of them written as paragraphs, not tables
    tech_extras: float = Field(default=0.0, ge=0.0, le=1.0)  # the share with metrics and errors sections
    tech_absent: int = Field(default=0, ge=0)  # questions per README that it does not answer (refused)
    checkpoint_dir: Path = Path("var/finetune/checkpoints")
    checkpoint_every: int = Field(default=25, ge=1)  # optimizer steps between checkpoints (resume from the last)
    base_model: Path | None = None
    # start from this adapter's weights (PEFT folder; its own LoRA shape) instead of a fresh LoRA: a continuation run
    init_adapter: Path | None = None
    data_dir: Path = Path("../shared/data")
    out_dir: Path = Path("models/adapters")
    seed: int = 0
    train_size: int = Field(default=100, ge=1)
    # serving: the share of train_size drawn from each kind ("refusal", or an answerable example's corpus); empty =
    # a plain seeded sample of the split, whatever its mix (40% refusals, a third PubMedQA yes/no)
    mix: dict[str, float] = {}
    eval_size: int = Field(default=48, ge=1)
    loss_eval_size: int = Field(default=12, ge=1)
    unanswerable: float = Field(default=0.3, ge=0.0, le=1.0)
    passage_chars: int = Field(default=300, ge=50)
    max_tokens: int = Field(default=320, ge=64)
    epochs: int = Field(default=1, ge=1)
    batch_size: int = Field(default=2, ge=1)
    learning_rate: float = 1e-3
    warmup_steps: int = 4
    lora: LoraConfig = LoraConfig()
    device: str = "cpu"
    threads: int = 2
    source: Path | None = None  # the YAML file it was loaded from (the card names it); set by `load`

    @property
    def adapter_dir(self) -> Path:
        return self.out_dir / self.name

    @classmethod
    def load(cls, path: Path = DEFAULT_CONFIG, **overrides: object) -> FinetuneConfig:
        raw = yaml.safe_load(path.read_text()) or {}
        return cls(**{**raw, **{k: v for k, v in overrides.items() if v is not None}, "source": path})
