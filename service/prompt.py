"""How retrieved chunks and the conversation become the engine's messages."""

from __future__ import annotations

import re
from typing import Any

from guardrails.normalize import visible
from index.base import Hit
from service.schemas import ChatCompletionRequest
from service.settings import Settings

INSTRUCTIONS = (
    "Answer the question using only the numbered sources below. "
    "Cite the source of each sentence like [1]. "
    "If the sources do not contain the answer, say that you do not know."
)


RECITED = "recites the gateway's instructions, not the sources"


def _plain(text: str) -> str:
    return " ".join(re.sub(r"\[\d+\]", " ", text).lower().split())


_INSTRUCTIONS_PLAIN = _plain(INSTRUCTIONS)


def recites_instructions(sentence: str) -> bool:
    """A sentence copied from our own instructions (a small base model often recites its prompt): not an answer,
    whatever a support model makes of it."""
    plain = _plain(sentence)
    return len(plain) >= 20 and plain in _INSTRUCTIONS_PLAIN


def format_sources(hits: list[Hit]) -> str:
    return "\n\n".join(f"[{i}] ({h.chunk.title}) {h.chunk.text}" for i, h in enumerate(hits, start=1))


def build_messages(request: ChatCompletionRequest, hits: list[Hit]) -> list[dict[str, Any]]:
    """Our instructions and sources first, then the client's conversation as plain text turns (a tool result goes
    as a user turn: every chat template takes one, and the rails read it as the client's text either way). Text no
    reader sees (Unicode tag characters, supplementary variation selectors) is not passed on: the rails read what it
    spells, and the engine gets none of it."""
    system = INSTRUCTIONS + ("\n\nSources:\n" + format_sources(hits) if hits else "\n\nSources: none.")
    client_system = [m.text() for m in request.messages if m.role in ("system", "developer")]
    if client_system:
        system = "\n\n".join(client_system) + "\n\n" + system
    turns: list[dict[str, Any]] = [{"role": "system", "content": visible(system)}]
    for m in request.messages:
        if m.role in ("user", "assistant", "tool") and m.text().strip():
            turns.append({"role": "assistant" if m.role == "assistant" else "user", "content": visible(m.text())})
    return turns


def engine_payload(request: ChatCompletionRequest, hits: list[Hit], settings: Settings,
                   engine_fields: dict[str, Any] | None = None) -> dict[str, Any]:
    """The engine's chat request: our messages, the client's sampling knobs within our caps, our stop strings
    always, then the client's (at most 4, checked in the schema), and what the model's adapter needs."""
    wanted = request.max_completion_tokens or request.max_tokens or settings.default_max_tokens
    payload: dict[str, Any] = {
        "model": request.model,
        "messages": build_messages(request, hits),
        "max_tokens": min(wanted, settings.max_tokens_cap),
        "stop": list(dict.fromkeys(settings.engine_stop + request.stops())),
        "temperature": 0.2 if request.temperature is None else request.temperature,
    }
    for key in ("top_p", "seed", "presence_penalty", "frequency_penalty"):
        if (value := getattr(request, key)) is not None:
            payload[key] = value
    return {**payload, **(engine_fields or {})}
