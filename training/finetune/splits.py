"""The training and held-out examples a config asks for (kept out of config.py, which the data modules import).

Besides the kinds the data has (each corpus's answerable examples, `refusal`, and with `tech_absent` the README
questions their README does not answer, `absent` with that README retrieved, else `absent_elsewhere`), a mix may
ask for `near_miss`:
an answerable example with its gold passage taken out of the sources, answered with the refusal. The other
passages are what retrieval really returned beside the gold one (for a README: the same product's other
settings), so refusing is learned as "the sources lack this answer", not "these sources look unfamiliar".
"""

from __future__ import annotations

import random

from training.finetune.config import FinetuneConfig
from training.finetune.data import REFUSAL, Example, build_splits
from training.finetune.serving_data import cached
from training.finetune.tech_docs import corpus as tech_corpus

NEAR_MISS = "near_miss"
ABSENT = "absent"
NEAR_MISS_SOURCES = ("techdocs", "covidqa")  # extractive answers: the short answer is a span to look for


def kind(ex: Example) -> str:
    if NEAR_MISS in ex.meta:
        return NEAR_MISS
    if ABSENT in ex.meta:  # a question its README does not answer (tech_docs.absent_questions): `absent` when that
        # README was retrieved (the lesson: it lacks this), else `absent_elsewhere` (only other products' READMEs)
        return ABSENT if ex.meta[ABSENT] in ex.meta.get("shown", ()) else f"{ABSENT}_elsewhere"
    return ex.source if ex.answerable else "refusal"


def near_miss(ex: Example) -> Example | None:
    """`ex` without its gold passage, refused; None when the answer's text is in another passage too."""
    if not ex.answerable or ex.source not in NEAR_MISS_SOURCES or not 1 <= ex.cited <= len(ex.passages):
        return None
    rest = [p for n, p in enumerate(ex.passages, start=1) if n != ex.cited]
    if not rest or any(ex.short.lower() in p.text.lower() for p in rest):
        return None
    return Example(f"{ex.id}-near-miss", ex.source, ex.question, rest, REFUSAL, "", 0,
                   {**ex.meta, NEAR_MISS: ex.id})


def mixed(examples: list[Example], mix: dict[str, float], size: int, rng: random.Random) -> list[Example]:
    """`size` examples, mix[kind] of them of each kind (as many as there are, at most), shuffled."""
    by_kind: dict[str, list[Example]] = {}
    if NEAR_MISS in mix:
        examples = examples + [m for m in map(near_miss, examples) if m is not None]
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
    tech = tech_corpus(cfg.tech_docs, prose=cfg.tech_prose, extras=cfg.tech_extras,
                       absent=cfg.tech_absent) if cfg.tech_docs else ([], [])
    return cached(cfg.data_dir, cfg.data_cache, cfg.held_out_share, tech)


def splits(cfg: FinetuneConfig) -> tuple[list[Example], list[Example]]:
    """(train, held-out): train_size training examples, eval_size held-out ones (a seeded sample)."""
    if cfg.data == "serving":
        train, held_out = serving(cfg)
        rng = random.Random(cfg.seed)
        chosen = mixed(train, cfg.mix, cfg.train_size, rng) if cfg.mix else rng.sample(
            train, min(cfg.train_size, len(train)))
        return chosen, rng.sample(held_out, min(cfg.eval_size, len(held_out)))
    return build_splits(cfg.data_dir, cfg.train_size, cfg.eval_size, cfg.unanswerable, cfg.passage_chars, cfg.seed)
