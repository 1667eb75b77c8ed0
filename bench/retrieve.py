"""/v1/retrieve latency on a cold ~10k-chunk index, over questions the gateway has not seen (issue #26).

    nice -n 10 python -m bench.retrieve ../shared/data --questions 400

Builds (once; kept in --index-dir) an index of PubMedQA's and COVID-QA's contexts as `python -m index build`
does, the document rail's verdicts included (--no-scan: without them, so chunks are scanned when served), starts
`ragguard serve` on 127.0.0.1 with the engine down, sends every question once, one at a time, and prints the
p50/p95 seen by the client (the same search and chunk verdicts as chat's retrieval stage). Then `--chat` more
unseen questions go through /v1/chat/completions (the rails and retrieval run; the engine being down ends each
at 503) and the chat road's own retrieval stage is read from /metrics (mean, and p50 from the histogram).
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import typer
from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console
from rich.table import Table

from training.retrieval.evaluate import covid_qa, pubmedqa

app = typer.Typer(add_completion=False)
console = Console()
BIN = Path(sys.executable).parent


def write_corpus(data_dir: Path, out: Path) -> list[str]:
    """The two sets' contexts as .txt files under `out`; returns their questions, shuffled."""
    sets = [pubmedqa(data_dir / "retrieval/pubmedqa/ori_pqal.json"),
            covid_qa(data_dir / "retrieval/covid_qa/200423_covidQA.json")]
    out.mkdir(parents=True, exist_ok=True)
    for qa in sets:
        for doc in qa.documents:
            (out / f"{qa.name}-{doc.source}.txt").write_text(doc.text)
    questions = list(dict.fromkeys(q.text for qa in sets for q in qa.questions))
    random.Random(26).shuffle(questions)
    return questions


def build(src: Path, index_dir: Path, max_tokens: int, scan: bool) -> None:
    args = [str(BIN / "python"), "-m", "index", "build", str(src), "--out", str(index_dir),
            "--max-tokens", str(max_tokens), "--overlap", str(max_tokens // 5), "--scan" if scan else "--no-scan"]
    subprocess.run(args, check=True)


def start_gateway(index_dir: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket_port() as port, socket_port() as engine_port:
        pass
    env = {**os.environ, "RAGGUARD_DEV_MODE": "true", "RAGGUARD_HOST": "127.0.0.1", "RAGGUARD_PORT": str(port),
           "RAGGUARD_INDEX_DIR": str(index_dir), "RAGGUARD_ENGINE_URL": f"http://127.0.0.1:{engine_port}",
           "RAGGUARD_ENGINE_RETRIES": "0", "RAGGUARD_RATE_LIMIT": "", "RAGGUARD_SHUTDOWN_DELAY_S": "0"}
    proc = subprocess.Popen([str(BIN / "ragguard"), "serve"], env=env, stdout=log.open("wb"),
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gateway exited: see {log}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.terminate()
    raise TimeoutError(f"gateway did not start: see {log}")


def retrieval_stage(metrics: str) -> dict[str, float]:
    """The chat road's retrieval stage from the gateway's histogram: count, mean and the p50's bucket bound."""
    buckets: list[tuple[float, float]] = []
    total = count = 0.0
    for family in text_string_to_metric_families(metrics):
        for sample in family.samples:
            if sample.labels.get("stage") != "retrieval":
                continue
            if sample.name.endswith("_bucket"):
                buckets.append((float(sample.labels["le"]), sample.value))
            elif sample.name.endswith("_sum"):
                total = sample.value
            elif sample.name.endswith("_count"):
                count = sample.value
    p50 = next((le for le, n in sorted(buckets) if n >= count / 2), float("inf")) if count else 0.0
    return {"count": count, "mean_ms": total / count * 1000 if count else 0.0, "p50_ms": p50 * 1000}


class socket_port:  # noqa: N801 - used as a context manager: a free port, released on exit
    def __enter__(self) -> int:
        import socket

        self._s = socket.socket()
        self._s.bind(("127.0.0.1", 0))
        return int(self._s.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        self._s.close()


@app.command()
def main(data_dir: Path = typer.Argument(Path("../shared/data"), exists=True),
         index_dir: Path = typer.Option(Path("var/bench-retrieve-index"), help="Built here unless it has an index."),
         questions: int = typer.Option(400, min=300), top_k: int = 10, mode: str = "hybrid",
         max_tokens: int = typer.Option(120, help="Chunk size: 120 tokens gives ~10k chunks of the two sets."),
         scan: bool = typer.Option(True, "--scan/--no-scan", help="Store the document rail's verdicts at build."),
         chat: int = typer.Option(100, min=0, help="Unseen questions sent through chat for its retrieval stage."),
         ) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        asked = write_corpus(data_dir, Path(tmp) / "src")
        if not (index_dir / "current").is_file():
            build(Path(tmp) / "src", index_dir, max_tokens, scan)
    proc, url = start_gateway(index_dir, index_dir.parent / "bench-retrieve-gateway.log")
    try:
        with httpx.Client(base_url=url, timeout=60) as client:
            chunks = client.get("/admin/index").json()["chunks"]
            took: list[float] = []
            for q in asked[:questions]:
                started = time.perf_counter()
                r = client.post("/v1/retrieve", json={"query": q, "top_k": top_k, "mode": mode})
                took.append((time.perf_counter() - started) * 1000)
                r.raise_for_status()
            for q in asked[questions:questions + chat]:
                client.post("/v1/chat/completions", json={"model": "gemma-3-270m", "ragguard": {"top_k": top_k},
                                                          "messages": [{"role": "user", "content": q}]})
            stage = retrieval_stage(client.get("/metrics").text)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    cuts = statistics.quantiles(took, n=20)
    title = (f"/v1/retrieve, {len(took)} distinct questions, top_k {top_k}, {mode}, {chunks:,} chunks "
             f"(verdicts {'stored' if scan else 'not stored'} at build)")
    table = Table("what", "value", title=title)
    table.add_row("p50 ms", f"{statistics.median(took):.1f}")
    table.add_row("p95 ms", f"{cuts[18]:.1f}")
    table.add_row("max ms", f"{max(took):.1f}")
    if stage["count"]:
        table.add_row(f"chat retrieval stage, {int(stage['count'])} requests: mean ms", f"{stage['mean_ms']:.1f}")
        table.add_row("chat retrieval stage: p50 ms (histogram bucket bound)", f"<= {stage['p50_ms']:g}")
    console.print(table)


if __name__ == "__main__":
    app()
