"""Document-rail verdicts made at index time and stored with each chunk of a snapshot.

`index build` / `index update` hand every new or changed chunk to a `ChunkScanner` (the gateway's document
rail, supplied by the CLI: index/ never imports guardrails/) and keep its verdict beside the chunk, and the
scanner's `identity` (its model, thresholds and rules) in the manifest. The gateway uses a stored verdict only
when it was made by the rail it runs itself; any other chunk is scanned at request time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from index.chunking import Chunk


@dataclass(frozen=True)
class StoredVerdict:
    """One chunk's verdict: whether the rail found instructions in it, its score and why."""

    blocked: bool
    score: float
    reason: str
    rail: str  # the identity of the scanner that made it


class ChunkScanner(Protocol):
    """Scans chunks (their text and whatever else of them reaches the engine's prompt) for instructions."""

    identity: str  # changes whenever the verdicts could: model, thresholds, rules

    def scan_chunks(self, chunks: list[Chunk]) -> list[StoredVerdict]: ...
