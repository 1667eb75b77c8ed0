"""FAISS at scale: build time, p50/p99 per single query, and recall@10 against the exact index, for the
families in index/families.py (plus IVF-PQ with an exact re-rank), over a small efSearch/nprobe curve.

    nice -n 10 python -m bench.faiss_scale --sizes 100000,1000000 --out var/faiss_scale.json

Vectors are unit vectors of dimension 384. `--data random` is uniform on the sphere (fine for latency,
but nearest neighbours there are nearly meaningless); `--data clustered` (default) draws them around
random centres, closer to how text embeddings crowd together, and is what recall is reported on.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from index.families import make_index, tune

app = typer.Typer(add_completion=False)
console = Console()


def unit_vectors(n: int, dim: int, data: str, rng: np.random.Generator, centres: np.ndarray | None) -> np.ndarray:
    out = np.empty((n, dim), dtype=np.float32)
    for i in range(0, n, 100_000):
        m = min(100_000, n - i)
        x = rng.standard_normal((m, dim), dtype=np.float32)
        if data == "clustered" and centres is not None:
            x = centres[rng.integers(0, len(centres), m)] + x * (1.0 / np.sqrt(dim))
        out[i:i + m] = x
    faiss.normalize_L2(out)
    return out


def per_query_ms(index: faiss.Index, queries: np.ndarray, k: int) -> tuple[np.ndarray, float, float]:
    """One query at a time on one thread (how the gateway searches); returns ids, p50 and p99 in ms."""
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)  # OpenMP on a single query only adds wake-ups on a busy machine
    ids, times = np.empty((len(queries), k), dtype=np.int64), []
    for i, q in enumerate(queries):
        started = time.perf_counter()
        _, found = index.search(q.reshape(1, -1), k)
        times.append((time.perf_counter() - started) * 1000)
        ids[i] = found[0]
    faiss.omp_set_num_threads(threads)
    return ids, float(np.percentile(times, 50)), float(np.percentile(times, 99))


def recall_at(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth, strict=True)]))


@app.command()
def main(sizes: str = "100000,1000000", dim: int = 384, queries: int = 300, k: int = 10,
         data: str = "clustered", ef_search: str = "32,64,128,256", nprobe: str = "8,16,32,64",
         families: str = "flat,hnsw,ivfpq,ivfpq+refine", seed: int = 0, hnsw_m: int = 32,
         ef_construction: int = 80,
         out: Path | None = typer.Option(None, help="Write every row as JSON here.")) -> None:
    rng = np.random.default_rng(seed)
    centres = unit_vectors(max(1, int(np.sqrt(int(sizes.split(",")[-1])))), dim, "random", rng, None)
    rows: list[dict[str, Any]] = []
    refined: Any = None
    for n in (int(s) for s in sizes.split(",")):
        base = unit_vectors(n, dim, data, rng, centres)
        qs = unit_vectors(queries, dim, data, rng, centres)
        exact = make_index("flat", base)
        _, truth = exact.search(qs, k)
        _, p50, p99 = per_query_ms(exact, qs, k)
        rows.append({"n": n, "family": "flat", "param": "-", "build_s": 0.0, "recall@10": 1.0,
                     "p50_ms": p50, "p99_ms": p99})
        console.print(rows[-1])
        del exact
        for family in families.split(","):
            if family == "flat":
                continue
            started = time.perf_counter()
            index = make_index(family.split("+")[0], base, hnsw_m=hnsw_m, ef_construction=ef_construction)
            if family.endswith("+refine"):
                index = refined = faiss.IndexRefineFlat(index, faiss.swig_ptr(base))
                index.k_factor = 4.0
            build_s = time.perf_counter() - started
            knob, values = ("efSearch", ef_search) if family == "hnsw" else ("nprobe", nprobe)
            for v in (int(x) for x in values.split(",")):
                inner = refined.base_index if family.endswith("+refine") else index
                tune(inner, family.split("+")[0], ef_search=v, nprobe=v)
                found, p50, p99 = per_query_ms(index, qs, k)
                label = f"HNSW{hnsw_m},efC={ef_construction}" if family == "hnsw" else family
                rows.append({"n": n, "family": label, "param": f"{knob}={v}", "build_s": round(build_s, 1),
                             "recall@10": recall_at(found, truth), "p50_ms": p50, "p99_ms": p99})
                console.print(rows[-1])
            del index
        del base
    table = Table("n", "family", "param", "build s", "recall@10", "p50 ms", "p99 ms",
                  title=f"FAISS, {data} unit vectors, dim {dim}, {queries} single queries, "
                        "1 search thread")
    for r in rows:
        table.add_row(f"{r['n']:,}", r["family"], r["param"], f"{r['build_s']:.1f}", f"{r['recall@10']:.3f}",
                      f"{r['p50_ms']:.3f}", f"{r['p99_ms']:.3f}")
    console.print(table)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({"data": data, "dim": dim, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    app()
