"""The soak and over-capacity scripts' plumbing, against the scripted engine (the real runs are in loadtests/)."""

import os
from collections import Counter
from pathlib import Path

from loadtests.drive import LoadTally
from loadtests.overload import render
from loadtests.soak import soak, write_outputs
from tests.conftest import free_port
from tests.faulty_engine import faulty_engine


async def test_soak_drives_load_and_samples_rss(tmp_path: Path) -> None:
    port = free_port()
    with faulty_engine(port, "ok", answer="Fine.") as engine:
        tally, samples = await soak(f"http://127.0.0.1:{port}", os.getpid(), duration_s=60, concurrency=2,
                                    max_requests=6, sample_s=0.1, max_tokens=4)
    assert tally.statuses == Counter({"200": 6}) and engine["calls"] == "7"  # a warm-up, then the capped 6
    assert len(samples) >= 2 and all(rss > 0 for _, rss in samples)
    summary = write_outputs(tmp_path, tally, samples, "soak")
    assert "RSS start / end / max" in summary
    assert (tmp_path / "rss.png").stat().st_size > 0
    assert len((tmp_path / "rss.csv").read_text().splitlines()) == len(samples) + 1


def test_overload_report_separates_shed_from_other_failures() -> None:
    statuses = Counter({"200": 6, "503 overloaded": 3, "429 rate_limit_exceeded": 1})
    tally = LoadTally(statuses=statuses, ok_seconds=[1.0] * 6, seconds=10)
    assert tally.shares() == {"ok": 0.6, "shed": 0.4, "other": 0.0}
    tally.statuses["error:ReadTimeout"] += 5
    tally.statuses["503 rail_failed"] += 5  # a 503 that is not load shedding
    assert tally.shares()["other"] == 0.5
    assert "| anything else | 50.0% |" in render(tally, sustainable=2)
