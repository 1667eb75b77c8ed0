"""The fine-tuning config: one YAML file, every field with a default."""

from __future__ import annotations

from pathlib import Path

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
    base_model: Path | None = None
    data_dir: Path = Path("../shared/data")
    out_dir: Path = Path("models/adapters")
    seed: int = 0
    train_size: int = Field(default=100, ge=1)
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

    @property
    def adapter_dir(self) -> Path:
        return self.out_dir / self.name

    @classmethod
    def load(cls, path: Path = DEFAULT_CONFIG, **overrides: object) -> FinetuneConfig:
        raw = yaml.safe_load(path.read_text()) or {}
        return cls(**{**raw, **{k: v for k, v in overrides.items() if v is not None}})

    def splits(self) -> tuple[list, list]:  # type: ignore[type-arg]
        from training.finetune.data import build_splits

        return build_splits(self.data_dir, self.train_size, self.eval_size, self.unanswerable,
                            self.passage_chars, self.seed)
