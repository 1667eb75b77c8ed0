"""Over capacity: measure the concurrency the stack sustains, then run at 2x with admission limits set so the
gateway sheds the excess; report the share of 200 vs 429/503 (with Retry-After) vs anything else.

    python -m loadtests.overload --start-stack --out var/overload                  # probe 1, 2, 4, ... first
    python -m loadtests.overload --start-stack --sustainable 2 --duration-s 180    # known capacity

Sustainable = the highest probed concurrency whose requests all answered 200 with p95 latency under
--latency-slo-s, stopping at the first level that misses. With --url the gateway's own admission settings
apply (set RAGGUARD_MAX_IN_FLIGHT etc. there). Exit code: 0 when nothing but 200/429/503 came back (and
every 429/503 had Retry-After); 1 otherwise.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import typer

from loadtests.drive import LoadTally, drive, format_statuses
from loadtests.stack import ROOT, Stack, local_stack

logger = logging.getLogger(__name__)
app = typer.Typer(add_completion=False)


def probe(url: str, levels: list[int], seconds: float, requests: int, slo_s: float, max_tokens: int) -> int:
    """The highest level that answers everything 200 within the latency objective (0 if none does)."""
    sustained = 0
    for level in levels:
        tally = asyncio.run(drive(url, level, seconds, requests, max_tokens=max_tokens))
        p50, p95 = tally.p50_p95()
        ok = tally.requests > 0 and tally.statuses["200"] == tally.requests and p95 <= slo_s
        logger.info("probe %d clients: %s, p50 %.1f s, p95 %.1f s, %.2f req/s -> %s", level,
                    format_statuses(tally), p50, p95, tally.throughput(), "sustained" if ok else "not sustained")
        if not ok:
            break
        sustained = level
    return sustained


def admission_env(sustainable: int, queue_timeout_s: float) -> dict[str, str]:
    """Admit what the stack sustains, queue as many again briefly, shed the rest with 503 + Retry-After."""
    return {"RAGGUARD_MAX_IN_FLIGHT": str(sustainable), "RAGGUARD_MAX_QUEUE": str(sustainable),
            "RAGGUARD_QUEUE_TIMEOUT_S": str(queue_timeout_s)}


def render(tally: LoadTally, sustainable: int) -> str:
    shares = tally.shares()
    p50, p95 = tally.p50_p95()
    return (f"# Over capacity: {2 * sustainable} clients (2x the sustained {sustainable}), {tally.seconds:.0f} s\n\n"
            f"| what | value |\n|---|---|\n"
            f"| requests | {tally.requests} |\n"
            f"| statuses | {format_statuses(tally)} |\n"
            f"| 200 | {shares['ok']:.1%} |\n"
            f"| 429/503 (shed) | {shares['shed']:.1%} |\n"
            f"| anything else | {shares['other']:.1%} |\n"
            f"| shed without Retry-After | {tally.shed_without_retry_after} |\n"
            f"| 200 latency p50 / p95 | {p50:.2f} s / {p95:.2f} s |\n")


@app.command()
def main(
    url: str = typer.Option("http://127.0.0.1:8080", help="Gateway base URL (ignored with --start-stack)."),
    start_stack: bool = typer.Option(False, help="Start a local engine + gateway on free ports, stop after."),
    index_dir: Path = typer.Option(ROOT / "var" / "index", help="Index for --start-stack (built when missing)."),
    sustainable: int | None = typer.Option(None, min=1, help="Known sustainable concurrency (skips the probe)."),
    probe_levels: str = typer.Option("1,2,4,8", help="Concurrency levels the probe tries, in order."),
    probe_s: float = typer.Option(60.0, min=1, help="Seconds per probe level."),
    latency_slo_s: float = typer.Option(30.0, help="p95 latency a sustained level must stay under."),
    duration_s: float = typer.Option(120.0, min=1, max=3600, help="Seconds of the 2x run."),
    max_requests: int = typer.Option(10_000, min=1, help="Request cap per run (probe level or 2x run)."),
    queue_timeout_s: float = typer.Option(2.0, help="RAGGUARD_QUEUE_TIMEOUT_S of the started gateway."),
    max_tokens: int = typer.Option(16, min=1, help="max_tokens per request."),
    out: Path = typer.Option(Path("var/overload"), help="Folder for summary.md and the stack logs."),
) -> None:
    """Probe (unless --sustainable), then run at 2x and report the shares."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    out.mkdir(parents=True, exist_ok=True)

    def stack(env: dict[str, str]) -> AbstractContextManager[Stack]:
        return local_stack(index_dir, log_dir=out, gateway_env=env) if start_stack else nullcontext(Stack("", url))

    if sustainable is None:
        levels = [int(x) for x in probe_levels.split(",")]
        with stack(admission_env(max(levels), queue_timeout_s)) as s:
            sustainable = probe(s.gateway_url, levels, probe_s, max_requests, latency_slo_s, max_tokens)
        if sustainable == 0:
            typer.echo("not even 1 client is sustained within the latency objective", err=True)
            raise typer.Exit(1)
    with stack(admission_env(sustainable, queue_timeout_s)) as s:
        tally = asyncio.run(drive(s.gateway_url, 2 * sustainable, duration_s, max_requests, max_tokens=max_tokens))
    text = render(tally, sustainable)
    (out / "summary.md").write_text(text, encoding="utf-8")
    typer.echo(text)
    if tally.shares()["other"] > 0 or tally.shed_without_retry_after:
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
