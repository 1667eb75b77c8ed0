"""The seams the gateway is written against: what an input rail, a document rail, an output rail and the LLM
judge offer. Each is small and sync where it is CPU work (the pipeline runs it off the event loop)."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from guardrails.verdict import GroundingResult, Verdict
from index.base import Hit


class InputRail(Protocol):
    """Checks the prompt before anything else runs. `vector` is the prompt's shared embedding (None: the rail
    embeds the text itself if it needs one); rules ignore it."""

    name: str

    def check(self, text: str, vector: np.ndarray | None = None) -> Verdict: ...


class DocumentRail(Protocol):
    """Indirect injection: instructions aimed at the model inside retrieved chunks."""

    name: str
    identity: str  # changes whenever its verdicts could; stored verdicts of another identity are not trusted

    def scan(self, hits: list[Hit]) -> list[Verdict]: ...


class OutputRail(Protocol):
    """Checks answer sentences against the retrieved sources."""

    name: str

    def check(self, sentences: list[str], hits: list[Hit]) -> GroundingResult: ...


class Judge(Protocol):
    """A second opinion on the output check from the engine, for the configured routes (async: an engine call)."""

    name: str
    model: str

    def wanted(self, route: str) -> bool: ...

    async def review(self, result: GroundingResult, hits: list[Hit]) -> GroundingResult: ...
