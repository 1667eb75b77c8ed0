"""Resumable training: the adapter's weights, the optimizer and scheduler, and the step, saved atomically."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch

logger = logging.getLogger(__name__)
FILE = "checkpoint.pt"


def save(folder: Path, model: Any, optim: torch.optim.Optimizer, sched: Any, step: int, extra: dict[str, Any]) -> None:
    """Write the checkpoint next to the old one, then replace it: a crash never leaves half a checkpoint."""
    from peft import get_peft_model_state_dict

    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / (FILE + ".tmp")
    torch.save({"adapter": get_peft_model_state_dict(model), "optim": optim.state_dict(),
                "sched": sched.state_dict(), "step": step, **extra}, tmp)
    tmp.replace(folder / FILE)


def restore(folder: Path, model: Any, optim: torch.optim.Optimizer, sched: Any) -> dict[str, Any] | None:
    """Load the last checkpoint into model, optimizer and scheduler; its dict (step, extras), or None."""
    from peft import set_peft_model_state_dict

    path = folder / FILE
    if not path.exists():
        return None
    state = torch.load(path, map_location=model.device, weights_only=False)
    set_peft_model_state_dict(model, state["adapter"])
    optim.load_state_dict(state["optim"])
    sched.load_state_dict(state["sched"])
    logger.info("resumed from %s at step %d", path, state["step"])
    return dict(state)
