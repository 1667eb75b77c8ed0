"""Training and evaluation of the learned input rails: `python -m guardrails.train`."""
