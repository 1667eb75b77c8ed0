"""A deliberately faulty OpenAI-compatible server for fault-injection tests (never the happy path)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse

MODEL = "gemma-3-270m"


def build_app(state: dict[str, str]) -> FastAPI:
    app = FastAPI()

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
        return JSONResponse({"id": "x", "object": "chat.completion", "created": 0, "model": MODEL,
                             "choices": [{"index": 0, "finish_reason": "stop",
                                          "message": {"role": "assistant", "content": state.get("answer", "")}}],
                             "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}})

    return app


@contextmanager
def faulty_engine(port: int, mode: str) -> Iterator[dict[str, str]]:
    state = {"mode": mode}
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
