"""The seams of service/ itself: the engine client the road generates with, and the live index readiness reports."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any, Protocol


class ModelLister(Protocol):
    """What the model catalog asks of an engine: the models it serves."""

    async def models(self) -> list[str]: ...


class LLMClient(ModelLister, Protocol):
    """Generation, as the pipeline needs it."""

    async def complete(self, payload: dict[str, Any]) -> dict[str, Any]: ...

    def stream(self, payload: dict[str, Any]) -> AsyncGenerator[dict[str, Any], None]: ...


class ServedIndex(Protocol):
    """The live index as readiness reports it: the snapshot served now (after any swap), not the one at start."""

    @property
    def version(self) -> str | None: ...

    def __len__(self) -> int: ...
