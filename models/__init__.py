"""Trained artifacts the gateway ships: the rails' heads and cards (guardrails/, guardrails/grounding/) and the
LoRA adapters (adapters/). Settings point here; the training/ package writes here."""

from pathlib import Path

MODELS_DIR = Path(__file__).resolve().parent
