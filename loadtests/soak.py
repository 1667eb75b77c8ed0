"""Soak: a steady bounded load against the gateway while its RSS is sampled; writes rss.csv, rss.png, summary.md.

    python -m loadtests.soak --start-stack --duration-s 600 --concurrency 4 --out var/soak
    python -m loadtests.soak --url http://127.0.0.1:8080 --pid 1234 --duration-s 120

Exit code: 0 clean; 1 a request got anything but 200 (a steady load below capacity should not shed).
"""

from __future__ import annotations

import asyncio
import csv
import logging
import time
from contextlib import nullcontext
from pathlib import Path

import psutil
import typer

from loadtests.drive import LoadTally, drive, format_statuses, listening_pid
from loadtests.stack import ROOT, Stack, local_stack

logger = logging.getLogger(__name__)
app = typer.Typer(add_completion=False)
MIB = 1024 * 1024


async def soak(url: str, pid: int, duration_s: float, concurrency: int, max_requests: int, sample_s: float,
               max_tokens: int) -> tuple[LoadTally, list[tuple[float, float]]]:
    """Drive the load and sample the process's RSS (MiB) every sample_s seconds, before, during and after."""
    proc = psutil.Process(pid)
    await drive(url, 1, duration_s, 1, max_tokens=max_tokens)  # warm-up: lazy loads are not a leak
    samples: list[tuple[float, float]] = []
    started = time.monotonic()

    async def sample_until(done: asyncio.Event) -> None:
        while True:
            samples.append((time.monotonic() - started, proc.memory_info().rss / MIB))
            try:
                await asyncio.wait_for(done.wait(), sample_s)
                break
            except TimeoutError:
                pass

    done = asyncio.Event()
    sampler = asyncio.create_task(sample_until(done))
    try:
        tally = await drive(url, concurrency, duration_s, max_requests, max_tokens=max_tokens)
    finally:
        done.set()
        await sampler
    samples.append((time.monotonic() - started, proc.memory_info().rss / MIB))
    return tally, samples


def write_outputs(out: Path, tally: LoadTally, samples: list[tuple[float, float]], title: str) -> str:
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "rss.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["seconds", "rss_mib"])
        writer.writerows((round(t, 1), round(m, 1)) for t, m in samples)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.plot([t for t, _ in samples], [m for _, m in samples], marker=".")
    ax.set(xlabel="seconds", ylabel="gateway RSS (MiB)", title=title)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "rss.png", dpi=100)
    plt.close(fig)
    p50, p95 = tally.p50_p95()
    rss = [m for _, m in samples]
    text = (f"# {title}\n\n| what | value |\n|---|---|\n"
            f"| requests | {tally.requests} in {tally.seconds:.0f} s |\n"
            f"| statuses | {format_statuses(tally)} |\n"
            f"| 200 latency p50 / p95 | {p50:.2f} s / {p95:.2f} s |\n"
            f"| RSS start / end / max | {rss[0]:.0f} / {rss[-1]:.0f} / {max(rss):.0f} MiB |\n"
            f"| RSS growth | {rss[-1] - rss[0]:+.0f} MiB |\n")
    (out / "summary.md").write_text(text, encoding="utf-8")
    return text


@app.command()
def main(
    url: str = typer.Option("http://127.0.0.1:8080", help="Gateway base URL (ignored with --start-stack)."),
    pid: int | None = typer.Option(None, help="Gateway pid to sample (default: the process listening on the port)."),
    start_stack: bool = typer.Option(False, help="Start a local engine + gateway on free ports, stop after."),
    index_dir: Path = typer.Option(ROOT / "var" / "index", help="Index for --start-stack (built when missing)."),
    duration_s: float = typer.Option(600.0, min=1, max=7200, help="How long the load runs."),
    max_requests: int = typer.Option(100_000, min=1, help="Stop after this many requests, whichever is first."),
    concurrency: int = typer.Option(4, min=1, help="Concurrent clients."),
    sample_s: float = typer.Option(5.0, min=0.1, help="RSS sampling period."),
    max_tokens: int = typer.Option(16, min=1, help="max_tokens per request."),
    out: Path = typer.Option(Path("var/soak"), help="Folder for rss.csv, rss.png, summary.md."),
) -> None:
    """Run the soak and write the report."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    with local_stack(index_dir, log_dir=out) if start_stack else nullcontext(Stack("", url)) as stack:
        tally, samples = asyncio.run(soak(stack.gateway_url, pid or listening_pid(stack.gateway_url), duration_s,
                                          concurrency, max_requests, sample_s, max_tokens))
    title = f"Soak: {concurrency} clients, {tally.seconds:.0f} s"
    typer.echo(write_outputs(out, tally, samples, title))
    if tally.statuses["200"] != tally.requests:
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
