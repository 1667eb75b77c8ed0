"""Run the Locust scenarios headless and write DIR/summary.md and DIR/latency.png.

    python -m loadtests.run --host http://127.0.0.1:8080 --users 4 --spawn-rate 2 --run-time 30s \
        --tags rag,attack --out var/loadtest

Exit code: 0 clean; 1 HTTP errors (error rate > 0; documented content_filter blocks are not errors);
2 attack-mix verdicts below --min-block-accuracy; 3 Locust produced no stats.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import typer

from loadtests.report import Summary, plot_latency, read_summary, render_markdown
from loadtests.stack import ROOT, Stack, local_stack

logger = logging.getLogger(__name__)
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
TAGS = ("chat", "rag", "stream", "attack")

app = typer.Typer(add_completion=False)


@dataclass(frozen=True)
class LoadResult:
    summary: Summary
    out: Path
    locust_rc: int


def parse_tags(spec: str) -> list[str]:
    tags = [t for t in re.split(r"[,\s]+", spec) if t]
    unknown = sorted(set(tags) - set(TAGS))
    if unknown or not tags:
        raise typer.BadParameter(f"tags must be among {TAGS}, got {spec!r}")
    return tags


def timespan_s(spec: str) -> int:
    """Locust's run-time syntax (`30`, `30s`, `2m`, `1h30m`) in seconds."""
    if spec.isdigit():
        return int(spec)
    parts = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", spec.strip())
    if not parts or not any(parts.groups()):
        raise typer.BadParameter(f"bad run time {spec!r}")
    h, m, sec = (int(g or 0) for g in parts.groups())
    return h * 3600 + m * 60 + sec


def run_locust(host: str, users: int, spawn_rate: float, run_time: str, tags: list[str], out: Path,
               env: dict[str, str] | None = None, stop_timeout_s: int = 120) -> LoadResult:
    """Run locust headless against host; results land in out/ (results.json, locust_*.csv, locust.log).

    After --run-time, in-flight requests get stop_timeout_s to finish (CPU generation is slow) so they
    are counted instead of cut off."""
    out.mkdir(parents=True, exist_ok=True)
    prefix = out / "locust"
    cmd = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", host,
           "--users", str(users), "--spawn-rate", str(spawn_rate), "--run-time", run_time,
           "--tags", *tags, "--csv", str(prefix), "--csv-full-history", "--only-summary",
           "--stop-timeout", str(stop_timeout_s), "--loglevel", "WARNING"]
    result_file = out / "results.json"
    result_file.unlink(missing_ok=True)
    full_env = {**os.environ, **(env or {}), "LOADTEST_RESULT_FILE": str(result_file)}
    with open(out / "locust.log", "wb") as log:
        proc = subprocess.run(cmd, cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT, check=False,
                              timeout=timespan_s(run_time) + stop_timeout_s + 120)  # a hung Locust fails
    # Locust exits 1 on any failure, ours included (unblocked attacks); we judge from the results instead.
    summary = read_summary(result_file) if result_file.exists() else Summary()
    return LoadResult(summary, out, proc.returncode)


def write_report(result: LoadResult, title: str) -> None:
    (result.out / "summary.md").write_text(render_markdown(result.summary, title), encoding="utf-8")
    if not plot_latency(result.summary, result.out / "locust_stats_history.csv", result.out / "latency.png"):
        logger.warning("no HTTP history to plot")


@app.command()
def main(
    host: str = typer.Option("http://127.0.0.1:8080", help="Gateway base URL (ignored with --start-stack)."),
    users: int = typer.Option(2, min=1, help="Concurrent Locust users."),
    spawn_rate: float = typer.Option(1.0, help="Users started per second."),
    run_time: str = typer.Option("30s", help="Locust --run-time (e.g. 30s, 2m)."),
    tags: str = typer.Option("rag", help=f"Comma-separated scenarios among {', '.join(TAGS)}."),
    out: Path = typer.Option(Path("var/loadtest"), help="Folder for CSVs, summary.md, latency.png."),
    start_stack: bool = typer.Option(False, help="Start a local engine + gateway on free ports, stop after."),
    step_shape: bool = typer.Option(False, help="Use the step load shape (LOADTEST_STEP_* knobs)."),
    attack_ratio: float | None = typer.Option(None, help="Share of attack prompts (LOADTEST_ATTACK_RATIO)."),
    attack_kinds: str | None = typer.Option(None, help="injection,harmful,pii (LOADTEST_ATTACK_KINDS)."),
    min_block_accuracy: float = typer.Option(1.0, help="Exit 2 when attack-mix accuracy is below this."),
    stop_timeout: int = typer.Option(120, help="Seconds in-flight requests get to finish after --run-time."),
) -> None:
    """Run the load test and write the report."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    tag_list = parse_tags(tags)
    env = {"LOADTEST_STEP_SHAPE": "1" if step_shape else "0"}
    if attack_ratio is not None:
        env["LOADTEST_ATTACK_RATIO"] = str(attack_ratio)
    if attack_kinds is not None:
        env["LOADTEST_ATTACK_KINDS"] = attack_kinds
    stack_cm = local_stack(log_dir=out) if start_stack else nullcontext(Stack("", host))
    with stack_cm as stack:
        result = run_locust(stack.gateway_url, users, spawn_rate, run_time, tag_list, out, env, stop_timeout)
    if not result.summary.http and not result.summary.sse and not result.summary.attack:
        typer.echo(f"Locust produced no stats (exit {result.locust_rc}); see {out / 'locust.log'}", err=True)
        raise typer.Exit(3)
    write_report(result, f"Load test: {', '.join(tag_list)}, {users} users, {run_time}")
    typer.echo((out / "summary.md").read_text(encoding="utf-8"))
    s = result.summary
    if s.error_rate > 0:
        raise typer.Exit(1)
    if s.block_accuracy is not None and s.block_accuracy < min_block_accuracy:
        raise typer.Exit(2)


if __name__ == "__main__":
    app()
