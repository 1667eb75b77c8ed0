"""/healthz (process), /readyz (dependencies), /metrics (Prometheus)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from service.deps import ReadinessDep, RegistryDep

router = APIRouter()


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(readiness: ReadinessDep) -> JSONResponse:
    """200 when the engine is reachable, the index loaded and the embedder warm; else 503."""
    checks = await readiness.check()
    return JSONResponse(checks, status_code=200 if checks["ready"] else 503)


@router.get("/metrics")
async def metrics(registry: RegistryDep) -> Response:
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
