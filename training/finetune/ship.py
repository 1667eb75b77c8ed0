"""Ship a measured candidate: its adapter in float16 (half the bytes, the precision the GGUF LoRA is served in) and
its metrics files into the committed adapter folder, and the card rewritten from its config.

    python -m training.finetune ship --config training/finetune/config.tech3.yaml

A candidate ships only by RUNS.md's rule (it beats the shipped adapter on accuracy and right citation on the docs
set and on the held-out split); this step only moves what was measured.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from models import MODELS_DIR
from training.finetune.card import write_card
from training.finetune.config import FinetuneConfig

SHIPPED = MODELS_DIR / "adapters"  # where the gateway's settings point (RAGGUARD_ADAPTERS' default)
FILES = ("adapter_config.json", "train_metrics.json", "eval_metrics.json", "docs_eval_metrics.json")


def ship(cfg: FinetuneConfig, dest_root: Path = SHIPPED) -> Path:
    """Copy cfg's adapter folder to dest_root/<name> (weights as float16) and write its card there."""
    from safetensors.torch import load_file, save_file

    source, dest = cfg.adapter_dir, dest_root / cfg.name
    if source.resolve() == dest.resolve():
        raise ValueError(f"{source} is already the shipped folder")
    weights = source / "adapter_model.safetensors"
    if not weights.exists():
        raise FileNotFoundError(f"no adapter in {source}: train it first")
    dest.mkdir(parents=True, exist_ok=True)
    save_file({k: v.half().contiguous() for k, v in load_file(weights).items()}, dest / weights.name,
              metadata={"format": "pt"})
    for name in FILES:
        if (source / name).exists():
            shutil.copyfile(source / name, dest / name)
        else:
            (dest / name).unlink(missing_ok=True)  # no stale metrics of the adapter shipped before
    write_card(cfg, dest)
    return dest

