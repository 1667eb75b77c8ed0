"""Locust scenarios for the gateway; pick them by tag: chat, rag, stream, attack.

    locust -f loadtests/locustfile.py --host http://127.0.0.1:8080 --tags rag stream

Run from the repository root (Locust puts the working directory on sys.path). Knobs (env vars):

| variable | default | meaning |
|---|---|---|
| `LOADTEST_MODEL` | `gemma-3-270m` | model name sent |
| `LOADTEST_API_KEY` | unset | sent as `Authorization: Bearer ...` (gateways outside dev mode) |
| `LOADTEST_MAX_TOKENS` | `32` | max_tokens of every request |
| `LOADTEST_ATTACK_RATIO` | `0.5` | share of attack prompts sent by the attack user (the rest are benign look-alikes) |
| `LOADTEST_ATTACK_KINDS` | `injection,harmful,pii` | which attack kinds are generated |
| `LOADTEST_STEP_SHAPE` | unset | `1` enables the step load shape below (ignores -u/-r/-t) |
| `LOADTEST_STEP_USERS`, `_SECONDS`, `LOADTEST_STEPS` | `2`, `10`, `3` | step size, step length, step count |
| `LOADTEST_RESULT_FILE` | unset | where to write final stats + every sample as JSON when Locust quits |

Custom events (they show up in the stats and CSVs like requests):
`SSE ttft` (request start to first answer text), `SSE itl` (gap between answer chunks; the gateway
streams checked sentences, so this is inter-sentence, not inter-token), `ATTACK blocked:<kind>` (fails
when an attack was answered), `ATTACK passed:benign` (fails when a benign look-alike was blocked).
"""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path
from typing import Any

from locust import HttpUser, LoadTestShape, between, events, tag, task

from loadtests.attacks import BENIGN, GENERATORS, parse_kinds
from loadtests.questions import load_questions

MODEL = os.environ.get("LOADTEST_MODEL", "gemma-3-270m")
MAX_TOKENS = int(os.environ.get("LOADTEST_MAX_TOKENS", "32"))
ATTACK_RATIO = float(os.environ.get("LOADTEST_ATTACK_RATIO", "0.5"))
ATTACK_KINDS = parse_kinds(os.environ.get("LOADTEST_ATTACK_KINDS", "injection,harmful,pii"))
CHAT_PATH = "/v1/chat/completions"


QUESTIONS = load_questions()
RNG = random.Random()


def chat_body(question: str, **extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "max_tokens": MAX_TOKENS, "temperature": 0,
            "messages": [{"role": "user", "content": question}], **extra}


def is_content_filter(response: Any) -> bool:
    """A block the way the gateway documents it: 400 with error.code content_filter."""
    if response.status_code != 400:
        return False
    try:
        return response.json()["error"]["code"] == "content_filter"
    except (ValueError, KeyError, TypeError):
        return False


def answer_text(response: Any) -> str:
    try:
        return str(response.json()["choices"][0]["message"].get("content") or "")
    except (ValueError, KeyError, IndexError, TypeError):
        return ""


@events.init.add_listener
def drop_users_without_tagged_tasks(environment: Any, **_: Any) -> None:
    """With --tags, keep only user classes that have a matching task (Locust would spawn empty ones)."""
    options = environment.parsed_options
    tags = set(getattr(options, "tags", None) or [])
    if not tags:
        return
    kept = [u for u in environment.user_classes
            if any(getattr(t, "locust_tag_set", set()) & tags for t in u.tasks)]
    if not kept:
        raise ValueError(f"no user class has a task tagged {sorted(tags)}")
    environment.user_classes[:] = kept


class ResultRecorder:
    """Keeps every sample and writes final stats after in-flight requests finished (the CSVs may not)."""

    def __init__(self, environment: Any, path: Path) -> None:
        self.environment, self.path = environment, path
        self.samples: list[tuple[float, str, str, float, bool]] = []
        environment.events.request.add_listener(self.on_request)
        environment.events.quit.add_listener(self.on_quit)

    def on_request(self, request_type: str, name: str, response_time: float | None,
                   exception: Exception | None = None, **_: Any) -> None:
        self.samples.append((time.time(), request_type, name, float(response_time or 0.0), exception is None))

    def on_quit(self, **_: Any) -> None:
        stats = self.environment.stats
        entries = [{"type": e.method, "name": e.name, "count": e.num_requests, "failures": e.num_failures,
                    "response_times": {str(k): v for k, v in e.response_times.items()},
                    "start_time": e.start_time, "last_request_timestamp": e.last_request_timestamp}
                   for e in stats.entries.values() if e.num_requests or e.num_failures]
        errors = [{"type": e.method, "name": e.name, "error": str(e.error), "count": e.occurrences}
                  for e in stats.errors.values()]
        self.path.write_text(json.dumps({"entries": entries, "errors": errors, "samples": self.samples}),
                             encoding="utf-8")


@events.init.add_listener
def record_results(environment: Any, **_: Any) -> None:
    if path := os.environ.get("LOADTEST_RESULT_FILE"):
        environment.loadtest_recorder = ResultRecorder(environment, Path(path))


class GatewayUser(HttpUser):
    abstract = True
    wait_time = between(0.2, 1.0)

    def on_start(self) -> None:
        if key := os.environ.get("LOADTEST_API_KEY"):
            self.client.headers["Authorization"] = f"Bearer {key}"

    def post_chat(self, body: dict[str, Any], name: str) -> None:
        with self.client.post(CHAT_PATH, json=body, name=name, catch_response=True) as resp:
            if resp.status_code != 200:
                resp.failure(f"HTTP {resp.status_code}: {resp.text[:200]}")
            elif not answer_text(resp):
                resp.failure("empty answer")


class PlainChatUser(GatewayUser):
    """Chat with retrieval off: input rails + generation + output rails only."""

    @tag("chat")
    @task
    def plain_chat(self) -> None:
        question = random.choice(QUESTIONS)
        self.post_chat(chat_body(question, ragguard={"retrieval": False}), "chat (no retrieval)")


class RagUser(GatewayUser):
    """A question about the sample corpus through the whole road."""

    @tag("rag")
    @task
    def rag_question(self) -> None:
        with self.client.post(CHAT_PATH, json=chat_body(random.choice(QUESTIONS)), name="rag",
                              catch_response=True) as resp:
            if resp.status_code != 200:
                resp.failure(f"HTTP {resp.status_code}: {resp.text[:200]}")
            elif not answer_text(resp):
                resp.failure("empty answer")
            elif not resp.json().get("citations"):
                resp.failure("RAG answer without citations")


class StreamingUser(GatewayUser):
    """A streamed RAG answer; records time to first text and the gaps between chunks."""

    def fire(self, name: str, seconds: float, exception: Exception | None = None) -> None:
        self.environment.events.request.fire(request_type="SSE", name=name, response_time=seconds * 1000,
                                             response_length=0, exception=exception, context={})

    @tag("stream")
    @task
    def stream_rag(self) -> None:
        started = time.perf_counter()
        last: float | None = None
        saw_done = False
        with self.client.post(CHAT_PATH, json=chat_body(random.choice(QUESTIONS), stream=True),
                              name="rag (stream)", stream=True, catch_response=True) as resp:
            if resp.status_code != 200:
                resp.failure(f"HTTP {resp.status_code}: {resp.text[:200]}")
                return
            for raw in resp.iter_lines():
                line = raw.decode("utf-8") if isinstance(raw, bytes) else raw
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    saw_done = True
                    break
                chunk = json.loads(data)
                if "error" in chunk:
                    resp.failure(f"error event mid-stream: {chunk['error'].get('code')}")
                    return
                text = "".join((c.get("delta") or {}).get("content") or "" for c in chunk.get("choices", []))
                if not text:
                    continue
                now = time.perf_counter()
                if last is None:
                    self.fire("ttft", now - started)
                else:
                    self.fire("itl", now - last)
                last = now
            if not saw_done:
                resp.failure("stream ended without [DONE]")
            elif last is None:
                resp.failure("stream carried no answer text")
        self.fire("stream total", time.perf_counter() - started)


class AttackMixUser(GatewayUser):
    """Attacks (blocked with 400 content_filter = correct) mixed with benign look-alikes (must pass)."""

    @tag("attack")
    @task
    def attack_or_benign(self) -> None:
        if random.random() < ATTACK_RATIO:
            kind = random.choice(ATTACK_KINDS)
            prompt, expect_block, event = GENERATORS[kind](RNG), True, f"blocked:{kind}"
        else:
            prompt, expect_block, event = random.choice(BENIGN), False, "passed:benign"
        started = time.perf_counter()
        with self.client.post(CHAT_PATH, json=chat_body(prompt), name="attack mix",
                              catch_response=True) as resp:
            blocked = is_content_filter(resp)
            if blocked or resp.status_code == 200:
                resp.success()  # a documented block is a correct answer of the server, not an error
            else:
                resp.failure(f"HTTP {resp.status_code}: {resp.text[:200]}")
                return
        wrong = None
        if blocked != expect_block:
            wrong = AssertionError(f"{'attack answered' if expect_block else 'benign prompt blocked'} "
                                   f"({event})")
        self.environment.events.request.fire(
            request_type="ATTACK", name=event, response_time=(time.perf_counter() - started) * 1000,
            response_length=0, exception=wrong, context={})


if os.environ.get("LOADTEST_STEP_SHAPE", "") not in ("", "0"):

    class StepLoadShape(LoadTestShape):
        """Adds STEP_USERS users every STEP_SECONDS, STEPS times, then stops."""

        step_users = int(os.environ.get("LOADTEST_STEP_USERS", "2"))
        step_seconds = int(os.environ.get("LOADTEST_STEP_SECONDS", "10"))
        steps = int(os.environ.get("LOADTEST_STEPS", "3"))

        def tick(self) -> tuple[int, float] | None:
            step = int(self.get_run_time() // self.step_seconds)
            if step >= self.steps:
                return None
            return (step + 1) * self.step_users, float(self.step_users)
