"""bench/overhead's parsing of the gateway's Server-Timing header (what "outside generation" is built on)."""

import pytest

from bench.overhead import server_timing
from bench.overhead_report import STAGES, Level, Run, render


def test_server_timing_parses_stage_durations() -> None:
    assert server_timing("input_rails;dur=12.5, retrieval;dur=1.0, generation;dur=500.0") == {
        "input_rails": 0.0125, "retrieval": 0.001, "generation": 0.5}
    assert server_timing("") == {}


def test_the_table_shows_every_rounds_ratio_beside_their_median(capsys: pytest.CaptureFixture[str]) -> None:
    runs = Run(latencies=[1.0, 1.2], wall_s=2.0), Run(latencies=[1.1, 1.3], wall_s=2.2)
    render([Level(16, *runs, dict.fromkeys(STAGES, 11.0), [0.91, 1.05, 0.95])], 16, "token")
    row = next(line for line in capsys.readouterr().out.splitlines() if line.lstrip("│ ").startswith("16"))
    assert "0.95" in row and "0.91 1.05 0.95" in row
