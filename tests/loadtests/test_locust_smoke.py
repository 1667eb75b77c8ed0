"""A short headless Locust run (RAG questions + attack mix) against the real gateway and llama-server."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from loadtests.report import render_markdown
from loadtests.run import run_locust
from tests.conftest import gateway_log

# The attack kinds the gateway has a rail for today; add "harmful" and "pii" when those rails land.
ATTACK_KINDS = "injection"


@pytest.mark.llama
def test_rag_and_attack_mix_under_load(llama_engine: str, gateway_process, tmp_path: Path) -> None:
    base = gateway_process(llama_engine)
    result = run_locust(base, users=2, spawn_rate=2, run_time="20s", tags=["rag", "attack"], out=tmp_path,
                        env={"LOADTEST_ATTACK_KINDS": ATTACK_KINDS, "LOADTEST_ATTACK_RATIO": "0.8",
                             "LOADTEST_MAX_TOKENS": "16"})
    s = result.summary
    sys.stderr.write("\n" + render_markdown(s, "Locust smoke run"))
    log = (tmp_path / "locust.log").read_text(encoding="utf-8")[-3000:] + "\n" + gateway_log(tmp_path)
    assert s.requests > 0, log
    assert s.errors == 0, f"{s.failures}\n{log}"
    rag = s.row("POST", "rag")
    assert rag is not None and rag.count >= 1, "no RAG question finished"
    assert s.attacks_blocked >= 1, "no attack was sent and blocked"
    assert s.attack_wrong == 0, f"{s.failures}\n{log}"  # every attack blocked, every benign look-alike answered
