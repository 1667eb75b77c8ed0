"""/healthz (process), /readyz (dependencies), /metrics (Prometheus)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from service.deps import GatewayDep

router = APIRouter()


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(gateway: GatewayDep) -> JSONResponse:
    """200 when the engine is reachable, the index loaded and the embedder warm; else 503.

    The engine is asked at most once per RAGGUARD_READYZ_ENGINE_TTL_S, however many probers call.
    """
    checks = await gateway.readiness.check(engine_max_age_s=gateway.settings.readyz_engine_ttl_s)
    if gateway.collections.named:  # each named collection's served snapshot (index_version: the default's)
        checks["collections"] = {name: index.version for name, index in gateway.collections.named.items()}
    checks["policy"] = gateway.tenancy.policy.label  # the policy file's `<name>@<version>` served now
    return JSONResponse(checks, status_code=200 if checks["ready"] else 503)


@router.get("/metrics")
async def metrics(gateway: GatewayDep) -> Response:
    return Response(generate_latest(gateway.registry), media_type=CONTENT_TYPE_LATEST)
