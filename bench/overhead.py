"""Gateway overhead: the same questions at the same concurrency, straight to the engine and through the
gateway with every rail on. Prints throughput ratio, added latency, TTFT difference and the gateway's
own per-stage breakdown from /metrics.

The engine gets the very messages the gateway would send it (instructions + retrieved sources, fetched
once up front with the gateway's own /v1/retrieve and prompt builder) and the same stop strings, so
both sides generate from the same prompt and the difference is what the gateway adds.

    python -m bench.overhead --engine-url http://127.0.0.1:8081 --gateway-url http://127.0.0.1:8080
    python -m bench.overhead --start-stack --concurrency 1,4 --requests 10
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import nullcontext
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import typer
from prometheus_client.parser import text_string_to_metric_families

from bench.overhead_report import STAGES, Level, Run, ms, quantile, render
from guardrails.sentences import SentenceStream
from index.base import Chunk, Hit
from loadtests.questions import load_questions
from loadtests.stack import Stack, local_stack
from service.catalog import ModelCatalog
from service.prompt import engine_payload
from service.schemas import ChatCompletionRequest
from service.settings import Settings

logger = logging.getLogger(__name__)
CHAT = "/v1/chat/completions"

app = typer.Typer(add_completion=False)


def body(model: str, question: str, max_tokens: int, stream: bool) -> dict[str, Any]:
    return {"model": model, "max_tokens": max_tokens, "temperature": 0, "stream": stream,
            "messages": [{"role": "user", "content": question}]}


class EngineModels:
    """The engine's /v1/models, all the catalog asks of an engine to know how a model (an adapter) is selected."""

    def __init__(self, client: httpx.AsyncClient, engine: str) -> None:
        self._client, self._engine = client, engine

    async def models(self) -> list[str]:
        resp = await self._client.get(f"{self._engine}/v1/models")
        resp.raise_for_status()
        return [m["id"] for m in resp.json()["data"]]


async def engine_bodies(client: httpx.AsyncClient, gateway: str, engine: str, model: str, questions: list[str],
                        max_tokens: int) -> dict[tuple[str, bool], dict[str, Any]]:
    """What the gateway sends the engine for each question: its retrieval, its prompt, its stop strings, and the
    fields that select the model on the engine (an adapter's `lora` scales on llama-server), as its catalog does."""
    out, settings = {}, Settings(dev_mode=True)
    catalog = ModelCatalog(EngineModels(client, engine), adapters=settings.adapters)
    await catalog.require(model)
    fields = catalog.engine_fields(model)
    for q in questions:
        resp = await client.post(f"{gateway}/v1/retrieve", json={"query": q})
        resp.raise_for_status()
        hits = [Hit(Chunk(h["id"], h["source"], h["title"], h["text"], h["start"], h["end"]), h["score"])
                for h in resp.json()["data"]]
        for stream in (False, True):
            request = ChatCompletionRequest.model_validate(body(model, q, max_tokens, stream))
            out[(q, stream)] = {**engine_payload(request, hits, settings, fields), "stream": stream}
    return out


async def with_retry(send: Callable[[], Awaitable[None]], run: Run) -> None:
    """One retry when a kept-alive connection was closed under us (nothing was answered); else an error."""
    for attempt in (1, 2):
        try:
            await send()
            return
        except httpx.RemoteProtocolError as exc:
            if attempt == 2:
                run.errors += 1
                logger.warning("request failed twice: %s", exc)
        except httpx.HTTPError as exc:
            run.errors += 1
            logger.warning("request failed: %r", exc)
            return


async def one_plain(client: httpx.AsyncClient, url: str, payload: dict[str, Any], run: Run) -> None:
    await with_retry(lambda: _plain(client, url, payload, run), run)


async def one_stream(client: httpx.AsyncClient, url: str, payload: dict[str, Any], run: Run) -> None:
    await with_retry(lambda: _stream(client, url, payload, run), run)


async def _plain(client: httpx.AsyncClient, url: str, payload: dict[str, Any], run: Run) -> None:
    started = time.perf_counter()
    resp = await client.post(url, json=payload)
    if resp.status_code != 200:
        run.errors += 1
        logger.warning("%s answered %s: %s", url, resp.status_code, resp.text[:200])
        return
    run.latencies.append(time.perf_counter() - started)
    run.completion_tokens.append(int((resp.json().get("usage") or {}).get("completion_tokens") or 0))
    timing = server_timing(resp.headers.get("server-timing", ""))
    if "generation" in timing:
        run.outside_generation.append(run.latencies[-1] - timing["generation"])


def server_timing(header: str) -> dict[str, float]:
    """`stage;dur=12.3, ...` (the gateway's Server-Timing header) -> {stage: seconds}."""
    out = {}
    for part in header.split(","):
        name, _, dur = part.strip().partition(";dur=")
        if name and dur:
            out[name] = float(dur) / 1000
    return out


async def _stream(client: httpx.AsyncClient, url: str, payload: dict[str, Any], run: Run) -> None:
    """Time to the first chunk that carries answer text, and to the first whole sentence (what the
    gateway's sentence-checked stream can release first; the end of the stream when no sentence ends)."""
    started = time.perf_counter()
    splitter = SentenceStream()
    async with client.stream("POST", url, json=payload) as resp:
        if resp.status_code != 200:
            run.errors += 1
            return
        first: float | None = None
        sentence: float | None = None
        async for line in resp.aiter_lines():  # read to the end so the connection is reusable
            if sentence is not None or not line.startswith("data:") or line[5:].strip() == "[DONE]":
                continue
            text = "".join((c.get("delta") or {}).get("content") or "" for c in json.loads(line[5:]).get("choices", []))
            if text and first is None:
                first = time.perf_counter() - started
            if text and splitter.feed(text):
                sentence = time.perf_counter() - started
        if first is None:
            run.errors += 1
        else:
            run.ttfts.append(first)
            run.first_sentences.append(sentence if sentence is not None else time.perf_counter() - started)


async def fan_out(concurrency: int, jobs: Sequence[Callable[[], Awaitable[None]]]) -> float:
    """Run jobs with at most `concurrency` in flight; returns the wall time."""
    gate = asyncio.Semaphore(concurrency)

    async def guarded(job: Callable[[], Awaitable[None]]) -> None:
        async with gate:
            await job()

    started = time.perf_counter()
    await asyncio.gather(*(guarded(j) for j in jobs))
    return time.perf_counter() - started


Side = tuple[str, Callable[[str, bool], dict[str, Any]], Run]  # (base URL, request body maker, results)


async def measure(client: httpx.AsyncClient, side: Side, questions: list[str], concurrency: int,
                  requests: int) -> float:
    """One round of plain requests into the side's run (latencies accumulate, wall time adds up); returns this
    round's req/s."""
    base, make, run = side
    done = len(run.latencies)
    plain = [partial(one_plain, client, f"{base}{CHAT}", make(questions[i % len(questions)], False), run)
             for i in range(requests)]
    wall = await fan_out(concurrency, plain)
    run.wall_s += wall
    return (len(run.latencies) - done) / wall if wall else 0.0


async def measure_streams(client: httpx.AsyncClient, sides: list[Side], questions: list[str], concurrency: int,
                          pairs: int) -> None:
    """Streams in pairs, the same question to each side one after the other (who goes first alternating),
    `concurrency` requests in flight: both sides' TTFT is measured under the same engine state and load, not
    in two phases that the engine's prompt cache can tell apart."""

    async def pair(question: str, order: list[Side]) -> None:
        for base, make, run in order:
            await one_stream(client, f"{base}{CHAT}", make(question, True), run)

    await fan_out(concurrency, [partial(pair, questions[i % len(questions)], sides if i % 2 == 0 else sides[::-1])
                                for i in range(pairs)])


async def stage_totals(client: httpx.AsyncClient, gateway: str) -> dict[str, tuple[float, float]]:
    """(sum seconds, count) of ragguard_stage_duration_seconds per stage, from a real scrape."""
    text = (await client.get(f"{gateway}/metrics")).text
    totals: dict[str, tuple[float, float]] = {}
    for family in text_string_to_metric_families(text):
        if family.name != "ragguard_stage_duration_seconds":
            continue
        for s in family.samples:
            stage = s.labels.get("stage", "")
            total, count = totals.get(stage, (0.0, 0.0))
            if s.name.endswith("_sum"):
                totals[stage] = (total + s.value, count)
            elif s.name.endswith("_count"):
                totals[stage] = (total, count + s.value)
    return totals


async def bench(stack: Stack, model: str, levels: list[int], requests: int, stream_requests: int,
                max_tokens: int, api_key: str = "", rounds: int = 1, stream_release: str = "token") -> list[Level]:
    questions = load_questions()
    limits = httpx.Limits(max_connections=max(levels) * 2)
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    async with httpx.AsyncClient(timeout=httpx.Timeout(300.0, connect=5.0), limits=limits,
                                 headers=headers) as client:
        direct_bodies = await engine_bodies(client, stack.gateway_url, stack.engine_url, model, questions, max_tokens)

        def to_engine(q: str, stream: bool) -> dict[str, Any]:
            return direct_bodies[(q, stream)]

        def to_gateway(q: str, stream: bool) -> dict[str, Any]:
            sent = body(model, q, max_tokens, stream)
            return {**sent, "ragguard": {"stream_release": stream_release}} if stream else sent

        # Warm both sides with every question, so the engine's prompt cache holds each prompt before round 1
        # (otherwise whichever side goes first pays for the cold cache and the first round's ratio swings).
        for base, make in ((stack.engine_url, to_engine), (stack.gateway_url, to_gateway)):
            for q in questions:
                await one_plain(client, f"{base}{CHAT}", make(q, False), Run())
        results = []
        for c in levels:
            direct, gateway, ratios = Run(), Run(), []
            before = await stage_totals(client, stack.gateway_url)
            for r in range(rounds):  # side by side, alternating who goes first, so both see the same load
                logger.info("concurrency %d round %d/%d", c, r + 1, rounds)
                sides: list[Side] = [(stack.engine_url, to_engine, direct), (stack.gateway_url, to_gateway, gateway)]
                rates = {id(side[2]): await measure(client, side, questions, c, requests)
                         for side in (sides if r % 2 == 0 else sides[::-1])}
                await measure_streams(client, sides, questions, c, stream_requests)
                ratios.append(rates[id(gateway)] / rates[id(direct)] if rates[id(direct)] else float("nan"))
            after = await stage_totals(client, stack.gateway_url)
            stages = {}
            for stage in STAGES:
                s0, n0 = before.get(stage, (0.0, 0.0))
                s1, n1 = after.get(stage, (0.0, 0.0))
                stages[stage] = (s1 - s0) / (n1 - n0) * 1000 if n1 > n0 else float("nan")
            results.append(Level(c, direct, gateway, stages, ratios))
            logger.info("concurrency %d done: direct %.2f req/s p50 %s ms, gateway %.2f req/s p50 %s ms, stages %s",
                        c, direct.rps, ms(quantile(direct.latencies, .5)), gateway.rps,
                        ms(quantile(gateway.latencies, .5)), {k: round(v, 1) for k, v in stages.items()})
        return results


@app.command()
def main(
    engine_url: str = typer.Option("http://127.0.0.1:8081", help="Engine base URL (ignored with --start-stack)."),
    gateway_url: str = typer.Option("http://127.0.0.1:8080", help="Gateway base URL (ignored with --start-stack)."),
    start_stack: bool = typer.Option(False, help="Start engine + gateway on free ports and stop them after."),
    concurrency: str = typer.Option("1,4,16", help="Comma-separated concurrency levels."),
    requests: int = typer.Option(16, min=1, help="Non-streaming requests per level and target."),
    stream_requests: int = typer.Option(4, min=0, help="Streaming requests per round and side, sent in pairs (TTFT)."),
    max_tokens: int = typer.Option(16, min=1, help="max_tokens of every request."),
    model: str = typer.Option("gemma-3-270m-ragguard", help="Model name (default: the committed adapter, the "
                                                            "model the README and the playground use)."),
    out: Path | None = typer.Option(None, help="Also write the raw results as JSON here."),
    api_key: str = typer.Option("", envvar="LOADTEST_API_KEY", help="Bearer key for a gateway outside dev mode."),
    rounds: int = typer.Option(1, min=1, help="Rounds per level, direct and gateway side by side in each; the "
                                              "ratio is the median of the rounds' ratios."),
    stream_release: str = typer.Option("token", help="The gateway's streams: token (text as the engine makes it, "
                                                     "verdicts after) or sentence (each sentence once checked)."),
    prompt_cache: bool = typer.Option(True, help="With --start-stack: --no-prompt-cache starts llama-server "
                                                 "without its prompt cache, so every request pays its whole prompt "
                                                 "as unique traffic does and cache hits cannot swing a round."),
) -> None:
    """Measure what the gateway adds on top of the engine."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    levels = [int(c) for c in concurrency.split(",") if c.strip()]
    if start_stack and not prompt_cache:  # llama-server reads its flags from LLAMA_ARG_* as well
        os.environ.update(LLAMA_ARG_CACHE_PROMPT="0", LLAMA_ARG_CACHE_RAM="0")
    stack_cm = local_stack() if start_stack else nullcontext(Stack(engine_url, gateway_url))
    with stack_cm as stack:
        results = asyncio.run(bench(stack, model, levels, requests, stream_requests, max_tokens,
                                      api_key, rounds, stream_release))
    render(results, max_tokens, stream_release)
    if out is not None:
        out.write_text(json.dumps([asdict(r) for r in results], indent=2), encoding="utf-8")


if __name__ == "__main__":
    app()
