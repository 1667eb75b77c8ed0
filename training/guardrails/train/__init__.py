"""Training and evaluation of the learned input rails: `python -m training.guardrails.train`."""
