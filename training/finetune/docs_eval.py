"""The docs Q&A set asked through the real gateway road: `ragguard engine` (base + adapters) and `ragguard serve`
over an index of docs/, each question posted to /v1/chat/completions once per model, greedy.

    python -m training.finetune eval --docs

Scored per model: answer accuracy (every word of an expected span in the answer) and mean token F1 of the best
span, right-citation rate (a cited [n] whose citation's source is the expected file), refusal on unanswerable,
false refusal on answerable, prompt echo, and the fact-check's share of answer sentences marked supported.
"""

from __future__ import annotations

import json
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from training.finetune.config import FinetuneConfig
from training.finetune.scoring import CITATION, echoes_prompt, is_refusal

DOCS_QA = Path(__file__).resolve().parent / "docs_qa.jsonl"
ROOT = Path(__file__).resolve().parents[2]
_TOKEN = re.compile(r"[a-z0-9_./:<>,-]+")
_FILLER = {"a", "an", "the", "or", "and", "of", "to", "is", "by"}


@dataclass(frozen=True)
class DocsQuestion:
    id: str
    question: str
    answers: tuple[str, ...]  # empty: the docs cannot answer it (expected: the refusal)
    source: str | None  # the docs/ file that holds the answer

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


def load_docs_qa(path: Path = DOCS_QA) -> list[DocsQuestion]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [DocsQuestion(r["id"], r["question"], tuple(r["answers"]), r["source"]) for r in rows]


def tokens(text: str) -> list[str]:
    """Lower-case words, keeping the characters of ports, paths, variables and versions (`127.0.0.1:8081`)."""
    return [t.strip(".,:") for t in _TOKEN.findall(text.lower()) if t.strip(".,:")]


def span_match(expected: str, answer: str) -> bool:
    """Every content word of the expected span appears in the answer."""
    want = [t for t in tokens(expected) if t not in _FILLER]
    got = set(tokens(answer))
    return bool(want) and all(t in got for t in want)


def token_f1(expected: str, answer: str) -> float:
    want, got = tokens(expected), tokens(answer)
    common = sum(min(want.count(t), got.count(t)) for t in set(want))
    if not common:
        return 0.0
    precision, recall = common / len(got), common / len(want)
    return 2 * precision * recall / (precision + recall)


def score(q: DocsQuestion, body: dict[str, Any]) -> dict[str, Any]:
    """What one gateway response shows for one question."""
    answer = str(body["choices"][0]["message"]["content"] or "")
    echo = echoes_prompt(answer)
    cited = set() if echo else {int(n) for n in CITATION.findall(answer)}
    sources = {c["index"]: c["source"] for c in body.get("citations", [])}
    verdicts = [s["verdict"] for s in body.get("ragguard", {}).get("grounding", {}).get("sentences", [])]
    row: dict[str, Any] = {"id": q.id, "answer": answer, "refused": is_refusal(answer), "echo": echo,
                           "verdicts": verdicts, "retrieved_source": q.source in sources.values()}
    if q.answerable:
        answered = not row["refused"] and not echo  # a recited prompt holds the answer, but does not give it
        row["correct"] = answered and any(span_match(a, answer) for a in q.answers)
        row["f1"] = max(token_f1(a, answer) for a in q.answers) if answered else 0.0
        row["right_citation"] = any(Path(sources.get(n, "")).name == q.source for n in cited)
    return row


def aggregate(questions: list[DocsQuestion], rows: list[dict[str, Any]]) -> dict[str, float]:
    answerable = [r for q, r in zip(questions, rows, strict=True) if q.answerable]
    unanswerable = [r for q, r in zip(questions, rows, strict=True) if not q.answerable]
    verdicts = [v for r in rows for v in r["verdicts"]]

    def rate(items: list[dict[str, Any]], key: str) -> float:
        return round(sum(float(r[key]) for r in items) / len(items), 3) if items else 0.0

    return {"answer_accuracy": rate(answerable, "correct"), "answer_token_f1": rate(answerable, "f1"),
            "right_citation_rate": rate(answerable, "right_citation"),
            "refusal_rate_unanswerable": rate(unanswerable, "refused"),
            "false_refusal_rate_answerable": rate(answerable, "refused"),
            "prompt_echo_rate": rate(rows, "echo"),
            "supported_sentence_share": round(verdicts.count("supported") / len(verdicts), 3) if verdicts else 0.0,
            "refusal_sentence_share": round(verdicts.count("refusal") / len(verdicts), 3) if verdicts else 0.0,
            "gold_retrieved_rate": rate(answerable, "retrieved_source")}


def ask(gateway: str, model: str, q: DocsQuestion, max_tokens: int) -> dict[str, Any]:
    body = {"model": model, "max_tokens": max_tokens, "temperature": 0, "seed": 0,
            "messages": [{"role": "user", "content": q.question}]}
    r = httpx.post(f"{gateway}/v1/chat/completions", json=body, timeout=600)
    r.raise_for_status()
    return dict(r.json())


def run(gateway: str, models: list[str], questions: list[DocsQuestion], max_tokens: int = 64, workers: int = 2,
        journal: Path | None = None) -> dict[str, Any]:
    """Ask every question of every model through a running gateway (question by question, the models side by
    side); per-model metrics and every answer. Each response is appended to `journal` as it comes, and a rerun
    asks only what the journal lacks (a long run on a busy machine survives a stop)."""
    done: dict[tuple[str, str], dict[str, Any]] = {}
    if journal is not None and journal.exists():
        for line in journal.read_text().splitlines():
            row = json.loads(line)
            done[(row["model"], row["id"])] = row["body"]
    jobs = [(m, q) for q in questions for m in models if (m, q.id) not in done]
    lock = threading.Lock()

    def one(job: tuple[str, DocsQuestion]) -> None:
        model, q = job
        body = ask(gateway, model, q, max_tokens)
        with lock:
            done[(model, q.id)] = body
            if journal is not None:
                with journal.open("a") as f:
                    f.write(json.dumps({"model": model, "id": q.id, "body": body}) + "\n")

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, jobs))
    result: dict[str, Any] = {}
    for model in models:
        rows = [score(q, done[(model, q.id)]) for q in questions]
        result[model] = {"metrics": aggregate(questions, rows), "answers": rows}
    return result


def evaluate_docs(adapters: dict[str, Path], out: Path | None = None, limit: int | None = None,
                  index_dir: Path = ROOT / "var" / "finetune-docs-index", journal: Path | None = None,
                  max_tokens: int = 64) -> dict[str, Any]:
    """Start engine + gateway (127.0.0.1, docs/ index) serving the base and `adapters`, ask the docs set."""
    from loadtests.stack import local_stack
    from service.settings import Settings

    questions = load_docs_qa()[:limit] if limit else load_docs_qa()
    base = Settings().engine_model_name
    env = {"RAGGUARD_ADAPTERS": json.dumps({k: str(v) for k, v in adapters.items()}),
           "RAGGUARD_ENGINE_TIMEOUT_S": "600", "RAGGUARD_GROUNDING_TIMEOUT_S": "120"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the engine process reads its adapters from the same settings as the gateway
    try:
        with local_stack(index_dir, gateway_env=env) as stack:
            result = run(stack.gateway_url, [base, *adapters], questions, max_tokens, journal=journal)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    n = len(questions)
    result["how"] = (f"{n} docs questions ({sum(q.answerable for q in questions)} answerable), through "
                     "`ragguard engine` (llama-server, Q4_K_M base, adapter as f16 LoRA GGUF) + `ragguard serve` "
                     "over an index of docs/ (default top_k, hybrid retrieval, fact-check on), greedy, "
                     f"{max_tokens} tokens")
    if out is not None:
        out.write_text(json.dumps(result, indent=2) + "\n")
    return result


def write_docs_metrics(cfg: FinetuneConfig, result: dict[str, Any]) -> str:
    """Keep base vs adapter metrics beside the adapter (docs_eval_metrics.json), refresh its card; the table."""
    from training.finetune.card import write_card

    base, adapter = (m for m in result if m != "how")
    metrics = {"base": result[base]["metrics"], "adapter": result[adapter]["metrics"], "how": result["how"]}
    if cfg.adapter_dir.exists() and (cfg.adapter_dir / "adapter_config.json").exists():
        (cfg.adapter_dir / "docs_eval_metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
        write_card(cfg, cfg.adapter_dir)
    return json.dumps(metrics, indent=2)
