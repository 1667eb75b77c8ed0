"""A deliberately faulty OpenAI-compatible server for fault-injection tests (never the happy path).

Modes (`state["mode"]`, changeable while it runs): `ok`, `slow` (30 s before anything), `error500`,
`garbage`, `reject400`, `drop_midstream`, `slow_first_token` (streams the role chunk at once, then
stalls), `trickle` (streams `state["answer"]` a word every `state["delay_s"]` seconds). `ok` answers
`state["answer"]`, streamed at once when the request asks for a stream. Every stream it
serves is counted in `state["streams"]`: `opened`, `finished` (sent [DONE]) and `cancelled` (the
gateway closed the connection before the end).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse

MODEL = "gemma-3-270m"
USAGE = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}


def _event(delta: dict[str, str], finish: str | None = None) -> str:
    chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": MODEL,
             "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(chunk)}\n\n"


async def _counted(state: dict[str, Any], events: AsyncIterator[str]) -> AsyncIterator[str]:
    streams: Counter[str] = state["streams"]
    streams["opened"] += 1
    try:
        async for event in events:
            yield event
        yield "data: [DONE]\n\n"
        streams["finished"] += 1
    except (asyncio.CancelledError, GeneratorExit, OSError):
        streams["cancelled"] += 1
        raise


def build_app(state: dict[str, Any]) -> FastAPI:
    app = FastAPI()

    async def stalled() -> AsyncIterator[str]:
        yield _event({"role": "assistant", "content": ""})
        await asyncio.sleep(30)

    async def trickle(delay_s: float) -> AsyncIterator[str]:
        yield _event({"role": "assistant", "content": ""})
        for word in state.get("answer", "").split(" "):
            await asyncio.sleep(delay_s)
            yield _event({"content": word + " "})
        yield _event({}, "stop")
        yield f"data: {json.dumps({'choices': [], 'usage': USAGE})}\n\n"

    @app.get("/v1/models")
    async def models() -> dict:
        return {"object": "list", "data": [{"id": MODEL, "object": "model"}]}

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Response:
        body = await request.json()
        state["calls"] = str(int(state.get("calls", "0")) + 1)
        mode = state["mode"]
        if mode == "slow":
            await asyncio.sleep(30)
        if mode == "error500":
            return JSONResponse({"error": {"message": "boom"}}, status_code=500)
        if mode == "garbage":
            return PlainTextResponse("<html>not json</html>", status_code=200)
        if mode == "reject400":
            return JSONResponse({"error": {"message": "context too long"}}, status_code=400)
        if body.get("stream") and mode == "drop_midstream":
            async def broken():  # type: ignore[no-untyped-def]
                yield 'data: {"choices": [{"index": 0, "delta": {"content": "The gateway listens "}}]}\n\n'
                raise RuntimeError("connection dropped")
            return StreamingResponse(broken(), media_type="text/event-stream")
        if body.get("stream") and mode in ("slow_first_token", "trickle", "ok"):
            delay_s = float(state.get("delay_s", 0.05)) if mode == "trickle" else 0.0
            events = stalled() if mode == "slow_first_token" else trickle(delay_s)
            return StreamingResponse(_counted(state, events), media_type="text/event-stream")
        return JSONResponse({"id": "x", "object": "chat.completion", "created": 0, "model": MODEL,
                             "choices": [{"index": 0, "finish_reason": "stop",
                                          "message": {"role": "assistant", "content": state.get("answer", "")}}],
                             "usage": USAGE})

    return app


@contextmanager
def faulty_engine(port: int, mode: str, **state: Any) -> Iterator[dict[str, Any]]:
    """Serve on 127.0.0.1:port in a thread; yields the (mutable) state: mode, answer, delay_s, calls, streams."""
    state = {"mode": mode, "streams": Counter(), **state}
    server = uvicorn.Server(uvicorn.Config(build_app(state), host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield state
    finally:
        server.should_exit = True
        thread.join(timeout=10)
