"""The sample-corpus questions (loadtests/questions.txt), shared by the Locust scenarios and bench/."""

from __future__ import annotations

from pathlib import Path

QUESTIONS_FILE = Path(__file__).resolve().parent / "questions.txt"


def load_questions(path: Path = QUESTIONS_FILE) -> list[str]:
    """One question a line; blank lines and # comments are skipped."""
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]
