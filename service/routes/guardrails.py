"""POST /v1/guardrails/check: the input rails alone, nothing generated (works with the engine down)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from service.deps import GatewayDep, ViewDep
from service.schemas import GuardrailsCheckRequest

router = APIRouter()


@router.post("/v1/guardrails/check")
async def guardrails_check(request: GuardrailsCheckRequest, gateway: GatewayDep, view: ViewDep) -> dict[str, Any]:
    """`allowed` is false when any rail would block the conversation on the chat road (admitted like chat; the
    caller's rails under the policy file)."""
    async with gateway.admission.slot():
        verdicts = await view.road.inputs.report(request.messages)
    return {"allowed": not any(v.blocked for v in verdicts),
            "rails": [{"name": v.rail, "verdict": v.outcome.value, "score": v.score, "reason": v.reason}
                      for v in verdicts]}
