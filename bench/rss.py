"""A serving gateway's memory after N requests (issue #21): RSS at start and after `--requests` requests,
alternating POST /v1/guardrails/check (a docs sentence, the input rails and PII) and POST /v1/retrieve.

    python -m bench.rss [--requests 1000] [--index-dir var/index]

Starts `ragguard serve` on 127.0.0.1 with default settings (engine down: neither endpoint needs it) and reports
whether libtorch was loaded into it.
"""

from __future__ import annotations

import random
from pathlib import Path

import httpx
import psutil
import typer

from bench.retrieve import start_gateway
from guardrails.sentences import split_sentences

app = typer.Typer(add_completion=False)
DOCS = Path(__file__).resolve().parents[1] / "docs"


@app.command()
def main(requests: int = typer.Option(1000, min=10), index_dir: Path = typer.Option(Path("var/index")),
         log: Path = typer.Option(Path("var/rss-gateway.log"))) -> None:
    texts = [s for doc in sorted(DOCS.glob("*.md")) for s in split_sentences(doc.read_text()) if 20 < len(s) < 300]
    random.Random(7).shuffle(texts)
    log.parent.mkdir(parents=True, exist_ok=True)
    proc, url = start_gateway(index_dir, log)
    try:
        gateway = psutil.Process(proc.pid)
        started = gateway.memory_info().rss / 2**20
        failed = 0
        with httpx.Client(base_url=url, timeout=60) as client:
            for i in range(requests):
                text = texts[i % len(texts)]
                r = client.post("/v1/guardrails/check", json={"messages": [{"role": "user", "content": text}]}) \
                    if i % 2 == 0 else client.post("/v1/retrieve", json={"query": text, "top_k": 4})
                failed += r.status_code != 200
        ended = gateway.memory_info().rss / 2**20
        torch = any("libtorch" in m.path for m in gateway.memory_maps())
        print(f"RSS MiB at start {started:.0f}, after {requests} requests {ended:.0f}; non-200 {failed}; "
              f"libtorch mapped: {torch}")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    app()
