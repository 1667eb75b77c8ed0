"""The gateway's memory under a long run of varied prompts through POST /v1/guardrails/check (issue #20).

    python -m bench.check_memory [--requests 2000] [--index-dir var/index]

Starts `ragguard serve` on 127.0.0.1 (engine down: the check needs none), sends prompts of 1 to 60 sentences
drawn from docs/ and from ../shared/data's prompt sets in a new mix each time (so no cache holds them), one at a
time, and prints the gateway's RSS every `--every` requests. Flat is the goal; ONNX Runtime's memory arena, which
kept the peak of every input shape, was what grew.
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import httpx
import psutil
import typer
from rich.console import Console
from rich.table import Table

from bench.retrieve import start_gateway
from guardrails.sentences import split_sentences

app = typer.Typer(add_completion=False)


def sentences(data_dir: Path) -> list[str]:
    """Prose from docs/ plus prompts from the shared sets (whatever of them is present)."""
    out = [s for f in sorted(Path("docs").glob("*.md")) for s in split_sentences(f.read_text()) if len(s) > 15]
    deepset = data_dir / "injection/deepset_train.jsonl"
    if deepset.is_file():
        out += [json.loads(line)["text"] for line in deepset.read_text().splitlines() if line.strip()]
    for name, column in (("harmful/advbench_behaviors.csv", "goal"), ("benign/xstest_prompts.csv", "prompt")):
        if (data_dir / name).is_file():
            with (data_dir / name).open() as f:
                out += [row[column] for row in csv.DictReader(f) if row.get(column)]
    return out


@app.command()
def main(data_dir: Path = typer.Argument(Path("../shared/data")), requests: int = typer.Option(2000, min=100),
         every: int = typer.Option(250, min=10), index_dir: Path = typer.Option(Path("var/index"))) -> None:
    pool, rng = sentences(data_dir), random.Random(20)
    proc, url = start_gateway(index_dir, Path("var/bench-check-memory-gateway.log"))
    rows: list[tuple[int, float, int]] = []
    try:
        gateway = psutil.Process(proc.pid)
        with httpx.Client(base_url=url, timeout=120) as client:
            for i in range(requests + 1):
                if i % every == 0:
                    rows.append((i, gateway.memory_info().rss / 2**20, 0))
                if i == requests:
                    break
                prompt = " ".join(rng.choice(pool) for _ in range(rng.randint(1, 60)))
                r = client.post("/v1/guardrails/check", json={"messages": [{"role": "user", "content": prompt}]})
                if r.status_code != 200:
                    rows[-1] = (rows[-1][0], rows[-1][1], rows[-1][2] + 1)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    table = Table("requests", "RSS MiB", "non-200 in the next block", title="gateway RSS under varied checks")
    for i, rss, bad in rows:
        table.add_row(str(i), f"{rss:.0f}", str(bad))
    Console().print(table)


if __name__ == "__main__":
    app()
