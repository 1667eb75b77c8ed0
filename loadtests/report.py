"""Read a Locust run's results into a summary: HTTP latency and errors, SSE timings, attack block accuracy."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

HTTP_TYPES = {"GET", "POST", "PUT", "DELETE", "PATCH"}


def percentile(histogram: dict[float, int], q: float) -> float | None:
    """The q-quantile (0..1) of a {latency_ms: count} histogram (Locust keeps response times this way)."""
    total = sum(histogram.values())
    if not total:
        return None
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= q * total:
            return value
    return max(histogram)


@dataclass(frozen=True)
class Row:
    type: str
    name: str
    count: int
    failures: int
    histogram: dict[float, int]
    seconds: float

    @property
    def rps(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else 0.0

    @property
    def p50(self) -> float | None:
        return percentile(self.histogram, 0.50)

    @property
    def p95(self) -> float | None:
        return percentile(self.histogram, 0.95)

    @property
    def p99(self) -> float | None:
        return percentile(self.histogram, 0.99)


@dataclass
class Summary:
    seconds: float = 0.0
    http: list[Row] = field(default_factory=list)
    sse: list[Row] = field(default_factory=list)
    attack: list[Row] = field(default_factory=list)
    failures: list[tuple[str, str, int]] = field(default_factory=list)
    samples: list[tuple[float, str, str, float, bool]] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(r.count for r in self.http)

    @property
    def errors(self) -> int:
        return sum(r.failures for r in self.http)

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    @property
    def http_all(self) -> Row:
        """All HTTP requests merged into one row (exact merged percentiles)."""
        merged: dict[float, int] = {}
        for r in self.http:
            for k, v in r.histogram.items():
                merged[k] = merged.get(k, 0) + v
        return Row("HTTP", "all", self.requests, self.errors, merged, self.seconds)

    @property
    def attack_checks(self) -> int:
        return sum(r.count for r in self.attack)

    @property
    def attack_wrong(self) -> int:
        return sum(r.failures for r in self.attack)

    @property
    def block_accuracy(self) -> float | None:
        """Share of attack-mix verdicts that were right (attacks blocked, benign look-alikes passed)."""
        if not self.attack_checks:
            return None
        return 1 - self.attack_wrong / self.attack_checks

    @property
    def attacks_blocked(self) -> int:
        return sum(r.count - r.failures for r in self.attack if r.name.startswith("blocked:"))

    def row(self, type_: str, name: str) -> Row | None:
        return next((r for r in self.http + self.sse + self.attack if r.type == type_ and r.name == name), None)


def _num(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None  # Locust writes "N/A" when a window has no samples


def read_summary(result_file: Path) -> Summary:
    """The JSON the locustfile writes when Locust quits (LOADTEST_RESULT_FILE)."""
    data = json.loads(result_file.read_text(encoding="utf-8"))
    entries, samples = data["entries"], data["samples"]
    # From the first request's start to the last one's end (Locust's entry start_time is the first *end*).
    seconds = (max(s[0] for s in samples) - min(s[0] - s[3] / 1000 for s in samples)) if samples else 0.0
    summary = Summary(seconds=seconds)
    for e in sorted(entries, key=lambda e: (e["type"], e["name"])):
        row = Row(e["type"], e["name"], e["count"], e["failures"],
                  {float(k): v for k, v in e["response_times"].items()}, summary.seconds)
        if row.type in HTTP_TYPES:
            summary.http.append(row)
        elif row.type == "SSE":
            summary.sse.append(row)
        elif row.type == "ATTACK":
            summary.attack.append(row)
    summary.failures = [(f"{e['type']} {e['name']}", e["error"], e["count"]) for e in data["errors"]]
    summary.samples = [tuple(s) for s in samples]  # type: ignore[misc]
    return summary


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}"


def render_markdown(summary: Summary, title: str) -> str:
    http = summary.http_all
    lines = [f"# {title}", "",
             f"- HTTP requests: {summary.requests}, errors: {summary.errors} "
             f"(error rate {summary.error_rate:.2%}; documented 400 content_filter blocks are not errors)",
             f"- throughput: {summary.rps:.2f} req/s over {summary.seconds:.0f} s",
             f"- HTTP latency p50/p95/p99: {_ms(http.p50)} / {_ms(http.p95)} / {_ms(http.p99)} ms"]
    accuracy = summary.block_accuracy
    if accuracy is not None:
        lines.append(f"- block accuracy: {accuracy:.2%} ({summary.attack_checks - summary.attack_wrong}"
                     f"/{summary.attack_checks} attack-mix verdicts right)")
    ttft = summary.row("SSE", "ttft")
    if ttft:
        lines.append(f"- TTFT p50/p95/p99: {_ms(ttft.p50)} / {_ms(ttft.p95)} / {_ms(ttft.p99)} ms "
                     f"({ttft.count} streams)")
    lines += ["", "| type | name | requests | failures | req/s | p50 ms | p95 ms | p99 ms |",
              "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in [summary.http_all] + summary.http + summary.sse + summary.attack:
        lines.append(f"| {r.type} | {r.name} | {r.count} | {r.failures} | {r.rps:.2f} | {_ms(r.p50)} | "
                     f"{_ms(r.p95)} | {_ms(r.p99)} |")
    if summary.failures:
        lines += ["", "## Failures", "", "| request | error | count |", "|---|---|---:|"]
        lines += [f"| {req} | {err.replace('|', '/')[:200]} | {n} |" for req, err, n in summary.failures]
    lines += ["", "Percentiles come from Locust's response-time histograms (ms, rounded above 100 ms). "
              "`SSE itl` is the gap between streamed chunks (the gateway streams checked sentences).", ""]
    return "\n".join(lines)


def plot_latency(summary: Summary, history: Path, out: Path) -> bool:
    """Latency over time: Locust's per-second p50/p95 history per HTTP request name, every HTTP sample
    as a dot (long requests finish after the history's window), users on a second axis."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series: dict[str, list[tuple[float, float | None, float | None]]] = {}
    users: list[tuple[float, float]] = []
    if history.exists():
        with open(history, newline="", encoding="utf-8") as f:
            for rec in csv.DictReader(f):
                ts = float(rec["Timestamp"])
                if rec["Name"] == "Aggregated":
                    users.append((ts, float(rec["User Count"])))
                elif rec["Type"] in HTTP_TYPES:
                    series.setdefault(rec["Name"], []).append((ts, _num(rec["50%"]), _num(rec["95%"])))
    samples = [s for s in summary.samples if s[1] in HTTP_TYPES]
    if not samples and not series:
        return False
    t0 = min([s[0] - s[3] / 1000 for s in samples] + [u[0] for u in users])
    fig, ax = plt.subplots(figsize=(9, 4.5))
    for name in sorted({s[2] for s in samples}):
        pts = [(s[0] - t0, max(s[3], 0.1)) for s in samples if s[2] == name]
        ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=12, alpha=0.6, label=f"{name} (each request)")
    for name, points in sorted(series.items()):
        for idx, style, label in ((1, "-", "p50"), (2, "--", "p95")):
            line = [(p[0] - t0, v) for p in points if (v := p[idx])]  # None/0: no samples in that window
            if line:
                ax.plot([p[0] for p in line], [p[1] for p in line], style, label=f"{name} {label} (history)")
    ax.set_xlabel("seconds since start")
    ax.set_ylabel("latency (ms, log)")
    ax.set_yscale("log")  # blocked prompts answer in ms, generations in seconds
    ax.grid(alpha=0.3)
    if users:
        ax2 = ax.twinx()
        ax2.step([u[0] - t0 for u in users], [u[1] for u in users], where="post", color="grey", alpha=0.5)
        ax2.set_ylabel("users (grey)")
        ax2.set_ylim(bottom=0)
    ax.legend(loc="upper left", fontsize=7)
    ax.set_title("Gateway latency over time")
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return True
