"""POST /v1/retrieve: ranked chunks for a query, no generation (works with the engine down).

`mode`: dense (embedding), bm25 (keywords) or hybrid (both, fused by reciprocal rank)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from service.deps import AdmissionDep, PipelineDep, TenantDep
from service.schemas import RetrieveRequest

router = APIRouter()


@router.post("/v1/retrieve")
async def retrieve(request: RetrieveRequest, pipeline: PipelineDep, tenant: TenantDep,
                   admission: AdmissionDep) -> dict[str, Any]:
    mode = request.mode or pipeline.settings.retrieval_mode
    async with admission.slot():  # admitted like chat
        hits = await pipeline.search(request.query, request.top_k or pipeline.settings.top_k, mode)
    return {"object": "list", "mode": mode,
            "data": [{"rank": i, "id": h.chunk.id, "source": h.chunk.source, "title": h.chunk.title,
                      "text": h.chunk.text, "start": h.chunk.start, "end": h.chunk.end, "page": h.chunk.page,
                      "url": h.chunk.url, "score": round(h.score, 4)}
                     for i, h in enumerate(hits, start=1)]}
