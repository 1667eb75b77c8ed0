"""One exception tree and one error envelope, the OpenAI shape.

    GatewayError                      -> {"error": {"message", "type", "param", "code"}}
    ├── InvalidRequest        400     invalid_request_error
    │   ├── ModelNotFound     404     invalid_request_error / model_not_found
    │   └── CollectionNotFound 404    invalid_request_error / collection_not_found
    ├── Unauthorized          401     authentication_error
    ├── Forbidden             403     permission_error (the tenant may not use this model or collection)
    ├── RateLimited           429     rate_limit_error (Retry-After set)
    ├── Overloaded            503     overloaded (admission queue full or timed out; Retry-After set)
    ├── PayloadTooLarge       413     invalid_request_error / payload_too_large
    ├── Blocked               400     guardrail_violation / content_filter (names the rail)
    ├── RailFailed            503     guardrail_error (a rail errored and fails closed)
    └── EngineError           502     engine_error (upstream 5xx or garbage)
        ├── EngineUnavailable 503     engine_unavailable (connection refused / reset)
        ├── EngineTimeout     504     engine_timeout
        └── EngineRejected    4xx     invalid_request_error (the engine refused the request)

Upstream status codes are mapped to this tree in exactly one place: `from_upstream_status`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException


class GatewayError(Exception):
    """Base of every error a client can see."""

    status_code = 500
    type = "server_error"
    code: str | None = "internal_error"

    def __init__(self, message: str, *, param: str | None = None, code: str | None = None,
                 extra: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        if code is not None:
            self.code = code
        self.extra = extra or {}
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """The OpenAI error envelope (plus an optional `ragguard` extension)."""
        out: dict[str, Any] = {"error": {"message": self.message, "type": self.type,
                                         "param": self.param, "code": self.code}}
        if self.extra:
            out["ragguard"] = self.extra
        return out

    def response(self, headers: dict[str, str] | None = None) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status_code, headers={**self.headers, **(headers or {})})


class InvalidRequest(GatewayError):
    status_code = 400
    type = "invalid_request_error"
    code = "invalid_request"


class ModelNotFound(InvalidRequest):
    status_code = 404
    code = "model_not_found"


class CollectionNotFound(InvalidRequest):
    status_code = 404
    code = "collection_not_found"


class Unauthorized(GatewayError):
    status_code = 401
    type = "authentication_error"
    code = "invalid_api_key"


class Forbidden(GatewayError):
    status_code = 403
    type = "permission_error"
    code = "model_not_allowed"


class RateLimited(GatewayError):
    status_code = 429
    type = "rate_limit_error"
    code = "rate_limit_exceeded"


class Overloaded(GatewayError):
    status_code = 503
    type = "overloaded"
    code = "overloaded"


class PayloadTooLarge(GatewayError):
    status_code = 413
    type = "invalid_request_error"
    code = "payload_too_large"


class Blocked(GatewayError):
    """A prompt stopped by an input rail: not a server error, a documented 400."""

    status_code = 400
    type = "guardrail_violation"
    code = "content_filter"

    @classmethod
    def by(cls, verdict: Any) -> Blocked:
        """The error for an input rail's blocking Verdict (names the rail, its score and reason)."""
        return cls(f"request blocked by input rail {verdict.rail!r}: {verdict.reason}", param="messages",
                   extra={"rail": verdict.rail, "verdict": verdict.outcome.value, "score": verdict.score,
                          "reason": verdict.reason})


class RailFailed(GatewayError):
    status_code = 503
    type = "guardrail_error"
    code = "rail_failed"


class EngineError(GatewayError):
    status_code = 502
    type = "engine_error"
    code = "engine_error"


class EngineUnavailable(EngineError):
    status_code = 503
    code = "engine_unavailable"


class EngineTimeout(EngineError):
    status_code = 504
    code = "engine_timeout"


class EngineRejected(EngineError):
    type = "invalid_request_error"
    code = "engine_rejected"

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


def from_upstream_status(status: int, detail: str) -> GatewayError:
    """Map an engine's HTTP status to the gateway's error tree (the only such mapping)."""
    if status == 404:
        return ModelNotFound(f"engine: {detail}", param="model")
    if 400 <= status < 500 and status != 429:
        return EngineRejected(f"engine rejected the request: {detail}", status_code=status)
    if status in (429, 503):
        return EngineUnavailable(f"engine is overloaded or unavailable ({status})")
    if status == 504:
        return EngineTimeout("engine timed out")
    return EngineError(f"engine error ({status})")


def _validation_message(exc: RequestValidationError) -> tuple[str, str | None]:
    errors = exc.errors()
    if not errors:
        return "invalid request", None
    first = errors[0]
    loc = [str(p) for p in first.get("loc", ()) if p != "body"]
    if first.get("type") == "json_invalid":
        return "request body is not valid JSON", None
    param = ".".join(loc) or None
    msg = first.get("msg", "invalid value")
    return (f"{param}: {msg}" if param else msg), param


def install_error_handlers(app: FastAPI) -> None:
    """Every error leaves the app in the envelope; no stack traces or paths reach clients."""

    @app.exception_handler(GatewayError)
    async def _gateway(_: Request, exc: GatewayError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        message, param = _validation_message(exc)
        return InvalidRequest(message, param=param).response()

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        err = GatewayError(str(exc.detail), code=f"http_{exc.status_code}")
        err.status_code = exc.status_code
        err.type = "invalid_request_error" if exc.status_code < 500 else "server_error"
        return err.response(headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        return GatewayError("internal error").response()


@contextmanager
def first_error() -> Iterator[None]:
    """Concurrent stages (a task group) raise this tree's own error, not an ExceptionGroup around it."""
    try:
        yield
    except BaseExceptionGroup as group:
        raise group.exceptions[0] from None
