"""Base vs adapter on the held-out split, through the real llama-server (base GGUF + adapter GGUF).

Both are asked the same prompts, greedy; the adapter is selected per request with llama-server's
`lora` field, exactly as the gateway does.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
from tqdm import tqdm

from training.finetune.card import write_card
from training.finetune.config import FinetuneConfig
from training.finetune.data import Example, words
from training.finetune.scoring import CITATION, echoes_prompt, first_decision, is_refusal
from training.finetune.splits import splits


def score(ex: Example, answer: str) -> dict[str, bool]:
    """What one answer shows: cites a shown passage (a recited prompt's "[1]" is no citation), cites the
    right one, is right, refuses, recites the prompt."""
    echo = echoes_prompt(answer)
    cited = set() if echo else {int(n) for n in CITATION.findall(answer)}
    refused = is_refusal(answer)
    if not ex.answerable:
        return {"refused": refused, "echo": echo}
    if ex.source == "pubmedqa":
        correct = first_decision(answer) == ex.short
    else:
        correct = " ".join(sorted(words(ex.short))) != "" and words(ex.short) <= words(answer)
    return {"cites": any(1 <= n <= len(ex.passages) for n in cited), "right_citation": ex.cited in cited,
            "correct": correct, "refused": refused, "echo": echo}


def aggregate(examples: list[Example], answers: list[str]) -> dict[str, float]:
    """Rates over the held-out split: citation format, right citation, accuracy, refusals."""
    scores = [(ex, score(ex, a)) for ex, a in zip(examples, answers, strict=True)]
    answerable = [s for ex, s in scores if ex.answerable]
    unanswerable = [s for ex, s in scores if not ex.answerable]

    def rate(rows: list[dict[str, bool]], key: str) -> float:
        return round(sum(r[key] for r in rows) / len(rows), 3) if rows else 0.0

    return {"citation_rate": rate(answerable, "cites"), "right_citation_rate": rate(answerable, "right_citation"),
            "answer_accuracy": rate(answerable, "correct"), "refusal_rate_unanswerable": rate(unanswerable, "refused"),
            "false_refusal_rate_answerable": rate(answerable, "refused"),
            "prompt_echo_rate": rate([s for _, s in scores], "echo")}


@contextmanager
def llama_server(cfg: FinetuneConfig) -> Iterator[str]:
    """A llama-server on a free port with the base GGUF and this adapter (converted to GGUF)."""
    from engines.artifacts import Artifacts
    from engines.launch import EngineSpec, command
    from service.cli import wait_ready
    from service.settings import Settings

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    spec = EngineSpec(kind="llama", host="127.0.0.1", port=port, model_name="base", threads=cfg.threads,
                      parallel=2, ctx_size=4096, adapters={cfg.name: cfg.adapter_dir})
    cmd, env = command(spec, Artifacts(Settings().cache_dir))
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(f"http://127.0.0.1:{port}", 180, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def ask(url: str, ex: Example, adapter: bool, stop: list[str]) -> str:
    # always name the scale: without it llama-server applies the adapter's global scale (1.0) to the base too
    body = {"model": "base", "messages": ex.messages(), "max_tokens": 64, "temperature": 0.0, "stop": stop,
            "lora": [{"id": 0, "scale": 1.0 if adapter else 0.0}]}
    r = httpx.post(f"{url}/v1/chat/completions", json=body, timeout=300)
    r.raise_for_status()
    return str(r.json()["choices"][0]["message"]["content"] or "")


def evaluate(cfg: FinetuneConfig, limit: int | None = None, progress: bool = True) -> str:
    """Score base and adapter on the held-out split; writes eval_metrics.json and refreshes the card."""
    from service.settings import Settings

    _, held_out = splits(cfg)
    held_out = held_out[:limit] if limit else held_out
    stop = Settings().engine_stop
    jobs = [(ex, adapter) for adapter in (False, True) for ex in held_out]
    with llama_server(cfg) as url, ThreadPoolExecutor(2) as pool:
        answers = list(tqdm(pool.map(lambda job: ask(url, job[0], job[1], stop), jobs), total=len(jobs),
                            desc="eval", disable=not progress))
    n = len(held_out)
    result = {"base": aggregate(held_out, answers[:n]), "adapter": aggregate(held_out, answers[n:]),
              "how": f"on {n} held-out examples ({sum(e.answerable for e in held_out)} answerable), greedy, "
                     "64 tokens, through llama-server: Q4_K_M base GGUF, adapter as f16 LoRA GGUF selected per request",
              "samples": [{"id": ex.id, "base": b, "adapter": a}
                          for ex, b, a in list(zip(held_out, answers[:n], answers[n:], strict=True))[:6]]}
    if cfg.adapter_dir.exists():
        (cfg.adapter_dir / "eval_metrics.json").write_text(json.dumps(result, indent=2) + "\n")
        write_card(cfg, cfg.adapter_dir)
    return json.dumps({k: result[k] for k in ("base", "adapter", "how")}, indent=2)


