"""POST /v1/retrieve: ranked chunks for a query, no generation (works with the engine down).

`mode`: dense (embedding), bm25 (keywords) or hybrid (both, fused by reciprocal rank); `ragguard.collection`
picks a collection (service/collections.py; unknown: 404; one the policy file does not allow the caller: 403;
none named: the caller's first under the policy)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from service.deps import GatewayDep, ViewDep
from service.schemas import RetrieveRequest

router = APIRouter()


@router.post("/v1/retrieve")
async def retrieve(request: RetrieveRequest, gateway: GatewayDep, view: ViewDep) -> dict[str, Any]:
    settings = view.settings  # the caller's, under the policy file
    mode = request.mode or settings.retrieval_mode
    collection = view.collection(request.ragguard.collection)  # not allowed: 403
    async with gateway.admission.slot():  # admitted like chat
        hits, _ = await view.road.retrieval.search(request.query, request.top_k or settings.top_k, mode,
                                                      collection=collection)  # unknown: 404
    return {"object": "list", "mode": mode, "collection": collection,
            "data": [{"rank": i, "id": h.chunk.id, "source": h.chunk.source, "title": h.chunk.title,
                      "text": h.chunk.text, "start": h.chunk.start, "end": h.chunk.end, "page": h.chunk.page,
                      "url": h.chunk.url, "score": round(h.score, 4)}
                     for i, h in enumerate(hits, start=1)]}
