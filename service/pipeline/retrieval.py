"""The retrieval stage: search, then the document rail's verdict on every chunk found (stored at index time
when the snapshot was scanned by this rail; scanned now otherwise), dropping or flagging poisoned chunks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from guardrails.base import DocumentRail
from guardrails.verdict import Outcome, Verdict
from index.base import Embedder, Hit, Mode, VectorIndex
from service.collections import Collections
from service.metrics import Metrics
from service.pipeline.clock import Clock
from service.pipeline.inputs import Prompt
from service.schemas import RagguardOptions
from service.settings import Settings
from service.trace import Trace
from service.work import CpuSlots


@dataclass
class Retrieval:
    settings: Settings
    metrics: Metrics
    embedder: Embedder
    index: Collections  # the default index and the named collections
    slots: CpuSlots
    documents: DocumentRail | None = None

    def rail_identity(self) -> str | None:
        """The document rail's identity: a swap refuses a snapshot whose stored verdicts another rail made."""
        return self.documents.identity if self.documents is not None else None

    async def for_prompt(self, prompt: Prompt, options: RagguardOptions, clock: Clock,
                         trace: Trace) -> list[Hit]:
        """The chat road's retrieval, beside the input rails: the last question as the engine will see it (after
        PII masking), searched with the prompt's own vector when the question is the whole prompt."""
        if not options.retrieval:
            return []

        async def run() -> list[Hit]:
            question = await prompt.question()
            vector = await prompt.vector() if question == prompt.text else None
            top_k = options.top_k or self.settings.top_k
            hits, dropped = await self.search(question, top_k, vector=vector, collection=options.collection)
            trace.verdicts += dropped
            return hits

        hits = await clock.timed(trace, "retrieval", run)
        self.metrics.retrieved_chunks.observe(len(hits))
        return hits

    async def search(self, query: str, top_k: int, mode: Mode | None = None, vector: np.ndarray | None = None,
                     collection: str | None = None) -> tuple[list[Hit], list[Verdict]]:
        """(the chunks kept, the verdicts of those dropped or flagged) from `collection` (None: the default index;
        unknown: 404). The query is embedded unless BM25 alone searches or its vector is given (the prompt's own,
        shared with the input rails)."""
        index, mode = self.index.get(collection), mode or self.settings.retrieval_mode
        if vector is None and mode != "bm25":
            vector = (await self.slots.run(self.embedder.embed, [query]))[0]
        hits, verdicts = await self.slots.run(self._search, index, query, vector, top_k, mode)
        return self._keep(hits, verdicts)

    def _search(self, index: VectorIndex, query: str, vector: np.ndarray | None, top_k: int,
                mode: Mode) -> tuple[list, list]:
        """(worker thread) Search, then the chunks' document-rail verdicts: one thread hop."""
        hits = index.retrieve(query, vector, top_k, mode)
        return hits, self.documents.scan(hits) if self.documents is not None and hits else []

    def _keep(self, hits: list[Hit], verdicts: list[Verdict]) -> tuple[list[Hit], list[Verdict]]:
        """Indirect injection: drop (or, in flag mode, keep and report) the chunks with instructions in them."""
        if self.documents is None:
            return hits, []
        name, mode, kept, found = self.documents.name, self.settings.document_rail_mode, [], []
        for hit, verdict in zip(hits, verdicts, strict=True):
            outcome = verdict.outcome if not verdict.blocked or mode == "block" else Outcome.FLAG
            self.metrics.rail_verdicts.labels(name, outcome.value).inc()
            if verdict.blocked:
                found.append(Verdict(name, outcome, verdict.score,
                                     f"chunk {hit.chunk.id} ({hit.chunk.source}): {verdict.reason}", verdict.seconds))
            if outcome is not Outcome.BLOCK:
                kept.append(hit)
        return kept, found
