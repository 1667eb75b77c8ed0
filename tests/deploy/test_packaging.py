"""What ships: the wheel's packages (pyproject's find rules) and the image's COPY lines hold the runtime alone;
the workshop (training/) and its extra (peft) stay out, the trained artifacts (models/) go in."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from setuptools import find_packages

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_holds_the_runtime_and_the_models_not_the_workshop() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = find_packages(str(ROOT), include=config["tool"]["setuptools"]["packages"]["find"]["include"])
    assert {"service", "service.pipeline", "guardrails", "index", "engines", "models"} <= set(packages)
    assert not [p for p in packages if p.split(".")[0] in ("training", "tests", "bench", "loadtests")]
    assert not [d for d in config["project"]["dependencies"] if d.startswith("peft")]


def test_the_image_copies_no_training_code() -> None:
    copied = re.findall(r"^COPY (?!--)(\S+)", (ROOT / "Dockerfile").read_text(), re.M)
    assert "models" in copied and not [c for c in copied if c.startswith(("training", "finetune"))]
