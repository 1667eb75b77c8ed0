"""The engine client: any OpenAI-compatible server (llama-server, vLLM) over one httpx.AsyncClient."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol

import httpx
from httpx_sse import SSEError, aconnect_sse
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from service.errors import EngineError, EngineTimeout, EngineUnavailable, GatewayError, from_upstream_status
from service.metrics import Metrics
from service.settings import Settings


class LLMClient(Protocol):
    """Generation, as the pipeline needs it."""

    async def complete(self, payload: dict[str, Any]) -> dict[str, Any]: ...

    def stream(self, payload: dict[str, Any]) -> AsyncIterator[dict[str, Any]]: ...

    async def models(self) -> list[str]: ...


def make_http_client(settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """The one AsyncClient of the process, with explicit timeouts from settings."""
    headers = {"Authorization": f"Bearer {settings.engine_api_key}"} if settings.engine_api_key else {}
    return httpx.AsyncClient(
        base_url=settings.engine_url.rstrip("/"),
        timeout=httpx.Timeout(settings.engine_timeout_s, connect=settings.engine_connect_timeout_s),
        limits=httpx.Limits(max_connections=256, max_keepalive_connections=64),
        headers=headers,
        transport=transport,
    )


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
        err = body.get("error", body) if isinstance(body, dict) else body
        msg = err.get("message") if isinstance(err, dict) else err
        return str(msg)[:500]
    except (ValueError, AttributeError):
        return response.text[:200]


def _translate(exc: Exception) -> Exception:
    """Transport failures -> the gateway's error tree."""
    if isinstance(exc, GatewayError):
        return exc
    if isinstance(exc, httpx.ConnectError):
        return EngineUnavailable("engine is unreachable")
    if isinstance(exc, httpx.TimeoutException):
        return EngineTimeout("engine timed out")
    if isinstance(exc, httpx.TransportError | SSEError | ValueError):
        return EngineError(f"engine connection failed or sent a malformed response: {type(exc).__name__}")
    return exc


class OpenAIEngineClient:
    """Calls /v1/chat/completions and /v1/models; retries only failures before the request was sent."""

    def __init__(self, http: httpx.AsyncClient, retries: int, metrics: Metrics) -> None:
        self._http = http
        self._metrics = metrics
        self._retrying = AsyncRetrying(
            retry=retry_if_exception_type(httpx.ConnectError),
            stop=stop_after_attempt(retries + 1),
            wait=wait_exponential(multiplier=0.1, max=1.0),
            reraise=True,
        )

    @asynccontextmanager
    async def _mapped_errors(self) -> AsyncIterator[None]:
        """Every engine failure leaves as an EngineError subclass and is counted by kind."""
        try:
            yield
        except Exception as exc:
            mapped = _translate(exc)
            if isinstance(mapped, EngineError):
                self._metrics.engine_errors.labels(mapped.code or "engine_error").inc()
            if mapped is exc:
                raise
            raise mapped from exc

    async def _post(self, path: str, payload: dict[str, Any]) -> httpx.Response:
        async for attempt in self._retrying.copy():
            with attempt:
                return await self._http.post(path, json=payload)
        raise AssertionError("unreachable")

    async def complete(self, payload: dict[str, Any]) -> dict[str, Any]:
        async with self._mapped_errors():
            response = await self._post("/v1/chat/completions", {**payload, "stream": False})
            if response.status_code != 200:
                raise from_upstream_status(response.status_code, _detail(response))
            body = response.json()
            if not isinstance(body, dict) or not body.get("choices"):
                raise EngineError("engine sent a response without choices")
            return body

    async def stream(self, payload: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        body = {**payload, "stream": True, "stream_options": {"include_usage": True}}
        async with self._mapped_errors():
            async with aconnect_sse(self._http, "POST", "/v1/chat/completions", json=body) as source:
                if source.response.status_code != 200:
                    await source.response.aread()
                    raise from_upstream_status(source.response.status_code, _detail(source.response))
                async for event in source.aiter_sse():
                    if event.data.strip() == "[DONE]":
                        return
                    chunk = json.loads(event.data)
                    if isinstance(chunk, dict) and "error" in chunk:
                        raise EngineError(f"engine error mid-stream: {chunk['error']}")
                    yield chunk

    async def models(self) -> list[str]:
        async with self._mapped_errors():
            response = await self._http.get("/v1/models", timeout=5.0)
            if response.status_code != 200:
                raise from_upstream_status(response.status_code, _detail(response))
            return [m["id"] for m in response.json().get("data", [])]
