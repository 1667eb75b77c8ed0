"""The engine client: any OpenAI-compatible server (llama-server, vLLM) over one httpx.AsyncClient."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager, nullcontext
from typing import Any, TypeVar

import anyio
import httpx
from httpx_sse import SSEError, aconnect_sse
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from service.breaker import BreakerState, CircuitBreaker
from service.errors import (
    EngineError,
    EngineRejected,
    EngineTimeout,
    EngineUnavailable,
    GatewayError,
    from_upstream_status,
)
from service.metrics import Metrics
from service.settings import Settings

T = TypeVar("T")


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
    if isinstance(exc, httpx.ConnectTimeout):
        return EngineTimeout("engine did not accept the connection in time", code="engine_connect_timeout")
    if isinstance(exc, httpx.TimeoutException):
        return EngineTimeout("engine timed out")
    if isinstance(exc, httpx.TransportError | SSEError | ValueError):
        return EngineError(f"engine connection failed or sent a malformed response: {type(exc).__name__}")
    return exc


def is_engine_failure(exc: BaseException) -> bool:
    """What the circuit breaker counts: the engine is down, slow or broken; a 4xx means it is alive."""
    return isinstance(exc, EngineError) and not isinstance(exc, EngineRejected)


def _has_token(chunk: Any) -> bool:
    """A stream chunk that carries generated text or ends the answer (a role-only chunk does not count)."""
    choices = chunk.get("choices") if isinstance(chunk, dict) else None
    return any((c.get("delta") or {}).get("content") or c.get("finish_reason") for c in choices or [])


class OpenAIEngineClient:
    """Calls /v1/chat/completions behind a circuit breaker, with a timeout per phase, and /v1/models.

    Phases: connect (httpx; `engine_connect_timeout`), first token (streaming: response headers and the
    first chunk with text; `engine_first_token_timeout`), total (the whole call; `engine_timeout`). A
    non-streaming engine sends nothing until it is done, so only connect and total apply there.
    Both calls retry only failures before the request was sent (nothing can have been generated or streamed).
    """

    def __init__(self, http: httpx.AsyncClient, settings: Settings, metrics: Metrics) -> None:
        self._http = http
        self._metrics = metrics
        self._total_s = settings.engine_timeout_s
        self._first_token_s = settings.engine_first_token_timeout_s
        self._retrying = AsyncRetrying(
            retry=retry_if_exception_type((httpx.ConnectError, httpx.ConnectTimeout)),
            stop=stop_after_attempt(settings.engine_retries + 1),
            wait=wait_exponential(multiplier=0.1, max=1.0),
            reraise=True,
        )
        self.breaker = CircuitBreaker(settings.breaker_failures, settings.breaker_cooldown_s,
                                      is_failure=is_engine_failure, on_change=self._breaker_moved)
        metrics.circuit_state.set(BreakerState.CLOSED)

    def _breaker_moved(self, state: BreakerState) -> None:
        self._metrics.circuit_state.set(state)
        self._metrics.circuit_transitions.labels(state.name.lower()).inc()

    @asynccontextmanager
    async def _engine_call(self, guarded: bool = True) -> AsyncIterator[None]:
        """Every engine failure leaves as an EngineError subclass, is counted by kind and (when guarded)
        moves the breaker."""
        try:
            with self.breaker.call() if guarded else nullcontext():
                try:
                    yield
                except Exception as exc:
                    mapped = _translate(exc)
                    if mapped is exc:
                        raise
                    raise mapped from exc
        except EngineError as exc:
            self._metrics.engine_errors.labels(exc.code or "engine_error").inc()
            raise

    def _total(self) -> EngineTimeout:
        return EngineTimeout(f"engine call exceeded {self._total_s:g} s")

    def _phase(self, first_token_at: float | None, total_at: float) -> tuple[float, EngineTimeout]:
        """The deadline that applies now, and the error it raises."""
        if first_token_at is not None and first_token_at < total_at:
            return first_token_at, EngineTimeout(f"engine sent no first token within {self._first_token_s:g} s",
                                                 code="engine_first_token_timeout")
        return total_at, self._total()

    @staticmethod
    async def _by(deadline: tuple[float, EngineTimeout], step: Awaitable[T]) -> T:
        """Await one step, cancelled at the deadline (which closes the engine request)."""
        at, timeout = deadline
        try:
            with anyio.fail_after(max(0.0, at - anyio.current_time())):
                return await step
        except TimeoutError:
            raise timeout from None

    async def _retried(self, send: Callable[[], Awaitable[T]]) -> T:
        """`send()`, again on a failure to connect (the request never left, so nothing was generated)."""
        async for attempt in self._retrying.copy():
            with attempt:
                return await send()
        raise AssertionError("unreachable")

    async def complete(self, payload: dict[str, Any]) -> dict[str, Any]:
        total_at = anyio.current_time() + self._total_s
        async with self._engine_call():
            response = await self._by(self._phase(None, total_at),
                                      self._retried(lambda: self._http.post("/v1/chat/completions",
                                                                            json={**payload, "stream": False})))
            if response.status_code != 200:
                raise from_upstream_status(response.status_code, _detail(response))
            body = response.json()
            if not isinstance(body, dict) or not body.get("choices"):
                raise EngineError("engine sent a response without choices")
            return body

    async def stream(self, payload: dict[str, Any]) -> AsyncGenerator[dict[str, Any], None]:
        body = {**payload, "stream": True, "stream_options": {"include_usage": True}}
        now = anyio.current_time()
        first_token_at: float | None = now + self._first_token_s
        total_at = now + self._total_s
        async with self._engine_call(), AsyncExitStack() as scope:
            # Leaving this block (done, error, timeout, or the client went away) closes the engine request.
            source = await self._by(self._phase(first_token_at, total_at), self._retried(
                lambda: scope.enter_async_context(aconnect_sse(self._http, "POST", "/v1/chat/completions",
                                                               json=body))))
            if source.response.status_code != 200:
                await source.response.aread()
                raise from_upstream_status(source.response.status_code, _detail(source.response))
            events = aiter(source.aiter_sse())
            while (event := await self._by(self._phase(first_token_at, total_at), anext(events, None))):
                if event.data.strip() == "[DONE]":
                    return
                chunk = json.loads(event.data)
                if isinstance(chunk, dict) and "error" in chunk:
                    raise EngineError(f"engine error mid-stream: {chunk['error']}")
                if first_token_at is not None:
                    if not _has_token(chunk):
                        continue  # role-only preamble: the caller waits (and can still answer a status) until text
                    first_token_at = None
                yield chunk

    async def models(self) -> list[str]:
        """Not behind the breaker: readiness must see the engine itself, also while the circuit is open."""
        async with self._engine_call(guarded=False):
            quick = httpx.Timeout(5.0, connect=self._http.timeout.connect)
            response = await self._http.get("/v1/models", timeout=quick)
            if response.status_code != 200:
                raise from_upstream_status(response.status_code, _detail(response))
            return [m["id"] for m in response.json().get("data", [])]
