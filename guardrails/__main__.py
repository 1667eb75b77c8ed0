from guardrails.cli import app

app()
