"""How retrieved chunks and the conversation become the engine's messages."""

from __future__ import annotations

from typing import Any

from index.store import Hit
from service.schemas import ChatCompletionRequest

INSTRUCTIONS = (
    "Answer the question using only the numbered sources below. "
    "Cite the source of each sentence like [1]. "
    "If the sources do not contain the answer, say that you do not know."
)


def format_sources(hits: list[Hit]) -> str:
    return "\n\n".join(f"[{i}] ({h.chunk.title}) {h.chunk.text}" for i, h in enumerate(hits, start=1))


def build_messages(request: ChatCompletionRequest, hits: list[Hit]) -> list[dict[str, Any]]:
    """Our instructions and sources first, then the client's conversation as plain text turns."""
    system = INSTRUCTIONS + ("\n\nSources:\n" + format_sources(hits) if hits else "\n\nSources: none.")
    client_system = [m.text() for m in request.messages if m.role in ("system", "developer")]
    if client_system:
        system = "\n\n".join(client_system) + "\n\n" + system
    turns: list[dict[str, Any]] = [{"role": "system", "content": system}]
    for m in request.messages:
        if m.role in ("user", "assistant") and m.text().strip():
            turns.append({"role": m.role, "content": m.text()})
    return turns
