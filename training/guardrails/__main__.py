from training.guardrails.cli import app

app()
