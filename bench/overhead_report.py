"""bench/overhead's results and their tables: what each side did at each concurrency, rendered with rich."""

from __future__ import annotations

import statistics
import sys
from dataclasses import dataclass, field

from rich.console import Console
from rich.table import Table

STAGES = ("input_rails", "retrieval", "generation", "output_rails")
console = Console(width=None if sys.stdout.isatty() else 220)  # tables stay whole in logs and pipes


@dataclass
class Run:
    """What one target did at one concurrency."""

    latencies: list[float] = field(default_factory=list)
    ttfts: list[float] = field(default_factory=list)
    completion_tokens: list[int] = field(default_factory=list)
    outside_generation: list[float] = field(default_factory=list)  # gateway: latency minus its generation stage
    first_sentences: list[float] = field(default_factory=list)  # streaming: time until a whole sentence is in
    errors: int = 0
    wall_s: float = 0.0

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.wall_s if self.wall_s else 0.0


@dataclass
class Level:
    concurrency: int
    direct: Run
    gateway: Run
    stages_ms: dict[str, float]
    ratios: list[float] = field(default_factory=list)  # gateway/direct req/s, one per round (side by side)


def quantile(values: list[float], q: float) -> float | None:
    """Nearest-rank quantile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 1000:.0f}"


def _diff(a: float | None, b: float | None) -> str:
    return "n/a" if a is None or b is None else f"{(b - a) * 1000:+.0f}"


def render(levels: list[Level], max_tokens: int, stream_release: str) -> None:
    table = Table(title=f"Gateway vs direct engine (max_tokens={max_tokens}, temperature 0, gateway streams "
                        f"released by {stream_release}; latencies in ms)")
    for col in ("conc", "direct req/s", "gateway req/s", "ratio gw/direct", "ratio per round", "direct p50/p95",
                "gateway p50/p95", "added p50", "added p95", "gw outside generation p50/p95", "TTFT direct p50",
                "TTFT gateway p50", "TTFT added", "1st sentence direct p50", "TTFT gw - 1st sentence direct",
                "tokens out direct/gw", "errors d/g"):
        table.add_column(col, justify="right", no_wrap=col == "ratio per round")
    for lv in levels:
        d, g = lv.direct, lv.gateway
        ratio = f"{statistics.median(lv.ratios):.2f}" if lv.ratios else "n/a"  # median of the rounds' ratios
        outside = f"{ms(quantile(g.outside_generation, .5))}/{ms(quantile(g.outside_generation, .95))}"
        dp50, dp95, gp50, gp95 = (quantile(d.latencies, .5), quantile(d.latencies, .95),
                                  quantile(g.latencies, .5), quantile(g.latencies, .95))
        dt, gt, ds = quantile(d.ttfts, .5), quantile(g.ttfts, .5), quantile(d.first_sentences, .5)
        mean_tokens = [f"{sum(r.completion_tokens) / len(r.completion_tokens):.1f}" if r.completion_tokens
                       else "n/a" for r in (d, g)]
        rounds = " ".join(f"{r:.2f}" for r in lv.ratios)
        table.add_row(str(lv.concurrency), f"{d.rps:.2f}", f"{g.rps:.2f}", ratio, rounds,
                      f"{ms(dp50)}/{ms(dp95)}", f"{ms(gp50)}/{ms(gp95)}", _diff(dp50, gp50), _diff(dp95, gp95),
                      outside, ms(dt), ms(gt), _diff(dt, gt), ms(ds), _diff(ds, gt), "/".join(mean_tokens),
                      f"{d.errors}/{g.errors}")
    console.print(table)
    stages = Table(title="Gateway per-stage mean (ms) from /metrics ragguard_stage_duration_seconds sum/count")
    stages.add_column("conc", justify="right")
    for stage in STAGES:
        stages.add_column(stage, justify="right")
    for lv in levels:
        stages.add_row(str(lv.concurrency), *(f"{lv.stages_ms[s]:.1f}" for s in STAGES))
    console.print(stages)
