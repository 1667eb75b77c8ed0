"""The load-test report: blocks are not errors, accuracy counts wrong verdicts, the plot is drawn."""

from __future__ import annotations

import json
import random
from pathlib import Path

from loadtests.attacks import GENERATORS, parse_kinds
from loadtests.report import percentile, plot_latency, read_summary, render_markdown


def _entry(type_: str, name: str, times: dict[int, int], failures: int = 0) -> dict[str, object]:
    return {"type": type_, "name": name, "count": sum(times.values()), "failures": failures,
            "response_times": {str(k): v for k, v in times.items()}, "start_time": 100.0,
            "last_request_timestamp": 110.0}


def test_summary_separates_http_errors_from_attack_verdicts(tmp_path: Path) -> None:
    result = tmp_path / "results.json"
    result.write_text(json.dumps({
        "entries": [_entry("POST", "rag", {900: 8, 2000: 2}), _entry("POST", "attack mix", {10: 10}),
                    _entry("ATTACK", "blocked:injection", {10: 6}),
                    _entry("ATTACK", "passed:benign", {10: 4}, failures=1),
                    _entry("SSE", "ttft", {300: 3, 500: 1})],
        "errors": [{"type": "ATTACK", "name": "passed:benign", "error": "benign prompt blocked", "count": 1}],
        "samples": [[101.0, "POST", "rag", 1000.0, True], [110.0, "POST", "attack mix", 10.0, True]],
    }))
    s = read_summary(result)
    assert (s.requests, s.errors, s.error_rate) == (20, 0, 0.0)
    assert s.rps == 2.0
    assert s.block_accuracy == 0.9 and s.attacks_blocked == 6
    assert s.http_all.p50 == 10 and s.http_all.p95 == 2000
    md = render_markdown(s, "t")
    assert "block accuracy: 90.00%" in md and "benign prompt blocked" in md and "TTFT p50/p95/p99: 300" in md
    assert plot_latency(s, tmp_path / "missing.csv", tmp_path / "latency.png")
    assert (tmp_path / "latency.png").stat().st_size > 1000


def test_percentile_of_a_histogram() -> None:
    assert percentile({}, 0.5) is None
    assert percentile({1: 98, 50: 1, 1000: 1}, 0.99) == 50


def test_every_attack_kind_generates_prompts() -> None:
    rng = random.Random(0)
    for kind in parse_kinds("injection,harmful,pii"):
        assert GENERATORS[kind](rng).strip()
