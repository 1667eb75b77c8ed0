"""Topic rail: allowed and denied topics as plain descriptions, matched by cosine to the prompt vector."""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from guardrails.verdict import Outcome, Verdict
from index.base import Embedder


class TopicRail:
    """Blocks prompts close to a denied topic; with allowed topics set, also prompts far from all of them."""

    name = "topic"

    def __init__(self, embedder: Embedder, denied: Sequence[str] = (), allowed: Sequence[str] = (),
                 deny_threshold: float = 0.5, allow_threshold: float = 0.15) -> None:
        self.embedder = embedder
        self.denied, self.allowed = list(denied), list(allowed)
        self.deny_threshold, self.allow_threshold = deny_threshold, allow_threshold
        self._denied = embedder.embed(self.denied) if self.denied else None
        self._allowed = embedder.embed(self.allowed) if self.allowed else None

    def check(self, text: str, vector: np.ndarray | None = None) -> Verdict:
        """Decide from the prompt's (L2-normalized) embedding, the shared one when given."""
        started = time.perf_counter()
        vector = self.embedder.embed([text])[0] if vector is None else vector
        if self._denied is not None:
            sims = self._denied @ vector
            i = int(np.argmax(sims))
            if sims[i] >= self.deny_threshold:
                return Verdict(self.name, Outcome.BLOCK, round(float(sims[i]), 4),
                               f"denied topic: {self.denied[i]!r}", time.perf_counter() - started)
        if self._allowed is not None:
            sims = self._allowed @ vector
            i = int(np.argmax(sims))
            if sims[i] < self.allow_threshold:
                return Verdict(self.name, Outcome.BLOCK, round(1.0 - float(sims[i]), 4),
                               f"off topic: not close to any allowed topic (nearest {self.allowed[i]!r})",
                               time.perf_counter() - started)
            return Verdict(self.name, Outcome.PASS, round(1.0 - float(sims[i]), 4),
                           f"on topic: {self.allowed[i]!r}", time.perf_counter() - started)
        return Verdict(self.name, Outcome.PASS, 0.0, "no denied topic near", time.perf_counter() - started)
