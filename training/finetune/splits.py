"""The training and held-out examples a config asks for (kept out of config.py, which the data modules import)."""

from __future__ import annotations

import random

from training.finetune.config import FinetuneConfig
from training.finetune.data import Example, build_splits
from training.finetune.serving_data import cached


def kind(ex: Example) -> str:
    return ex.source if ex.answerable else "refusal"


def mixed(examples: list[Example], mix: dict[str, float], size: int, rng: random.Random) -> list[Example]:
    """`size` examples, mix[kind] of them of each kind (as many as there are, at most), shuffled."""
    by_kind: dict[str, list[Example]] = {}
    for ex in examples:
        by_kind.setdefault(kind(ex), []).append(ex)
    unknown = set(mix) - set(by_kind)
    if unknown:
        raise ValueError(f"mix names kinds the data lacks: {sorted(unknown)} (have {sorted(by_kind)})")
    out = [ex for k, share in mix.items() for ex in rng.sample(by_kind[k], min(len(by_kind[k]), round(size * share)))]
    rng.shuffle(out)
    return out


def serving(cfg: FinetuneConfig) -> tuple[list[Example], list[Example]]:
    """All of the config's serving examples, (train, held-out), built into its data_cache once."""
    return cached(cfg.data_dir, cfg.data_cache, cfg.held_out_share, cfg.tech_docs, cfg.tech_prose)


def splits(cfg: FinetuneConfig) -> tuple[list[Example], list[Example]]:
    """(train, held-out): train_size training examples, eval_size held-out ones (a seeded sample)."""
    if cfg.data == "serving":
        train, held_out = serving(cfg)
        rng = random.Random(cfg.seed)
        chosen = mixed(train, cfg.mix, cfg.train_size, rng) if cfg.mix else rng.sample(
            train, min(cfg.train_size, len(train)))
        return chosen, rng.sample(held_out, min(cfg.eval_size, len(held_out)))
    return build_splits(cfg.data_dir, cfg.train_size, cfg.eval_size, cfg.unanswerable, cfg.passage_chars, cfg.seed)
