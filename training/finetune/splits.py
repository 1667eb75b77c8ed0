"""The training and held-out examples a config asks for (kept out of config.py, which the data modules import)."""

from __future__ import annotations

import random

from training.finetune.config import FinetuneConfig
from training.finetune.data import Example, build_splits
from training.finetune.serving_data import cached


def splits(cfg: FinetuneConfig) -> tuple[list[Example], list[Example]]:
    """(train, held-out): train_size training examples, eval_size held-out ones (a seeded sample)."""
    if cfg.data == "serving":
        train, held_out = cached(cfg.data_dir, cfg.data_cache, cfg.held_out_share)
        rng = random.Random(cfg.seed)
        return (rng.sample(train, min(cfg.train_size, len(train))),
                rng.sample(held_out, min(cfg.eval_size, len(held_out))))
    return build_splits(cfg.data_dir, cfg.train_size, cfg.eval_size, cfg.unanswerable, cfg.passage_chars, cfg.seed)
