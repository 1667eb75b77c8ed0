"""Retrieval evaluation on QA sets with gold passages: recall@1/5/10, MRR and latency, dense vs BM25 vs
hybrid. The fusion (convex alpha; RRF's k and weights) is tuned on a dev split (half the questions, by
id) and reported on the other.

    python -m training.retrieval eval ../shared/data --out var/retrieval_eval.json [--query-int8]

PubMedQA (expert set): each abstract is a document; a hit is any chunk of the question's abstract.
COVID-QA (SQuAD format): long articles are chunked; a hit is a chunk that holds the answer span.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.base import Chunk, Embedder, Hit
from index.build import offsets_for
from index.chunking import Document, chunk_document
from index.embedder import embed_each
from index.hybrid import Fusion
from index.store import FaissIndex

KS = (1, 5, 10)
DEPTH = 50
GRID_K = (5, 10, 20, 40, 60, 100)
GRID_DENSE_WEIGHT = (0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
GRID_ALPHA = tuple(round(0.05 * i, 2) for i in range(21))


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    source: str  # the gold document
    span: tuple[int, int] | None = None  # the answer's characters in it, when the set gives them

    def is_gold(self, chunk: Chunk) -> bool:
        if chunk.source != self.source:
            return False
        return self.span is None or (chunk.start <= self.span[0] and self.span[1] <= chunk.end + 1)


@dataclass(frozen=True)
class QASet:
    name: str
    documents: list[Document]
    questions: list[Question]

    def head(self, n: int) -> QASet:
        """The first n documents and only the questions about them (quick runs, tests)."""
        keep = {d.source for d in self.documents[:n]}
        return QASet(self.name, self.documents[:n], [q for q in self.questions if q.source in keep])


def pubmedqa(path: Path) -> QASet:
    data = json.loads(path.read_text())
    docs = [Document(source=pmid, title=pmid, text="\n\n".join(r["CONTEXTS"])) for pmid, r in data.items()]
    questions = [Question(pmid, r["QUESTION"], pmid) for pmid, r in data.items()]
    return QASet("PubMedQA", docs, questions)


def covid_qa(path: Path) -> QASet:
    docs, questions = [], []
    for article in json.loads(path.read_text())["data"]:
        for para in article["paragraphs"]:
            source = str(para["document_id"])
            docs.append(Document(source=source, title=source, text=para["context"]))
            for qa in para["qas"]:
                answer = qa["answers"][0]
                start, end = answer["answer_start"], answer["answer_start"] + len(answer["text"])
                questions.append(Question(str(qa["id"]), qa["question"], source, (start, end)))
    return QASet("COVID-QA", docs, questions)


def is_dev(question: Question) -> bool:
    return hashlib.sha256(question.id.encode()).digest()[0] % 2 == 0


def metrics(rankings: list[list[Hit]], questions: list[Question]) -> dict[str, float]:
    first_gold = []
    for hits, q in zip(rankings, questions, strict=True):
        first_gold.append(next((rank for rank, h in enumerate(hits, start=1) if q.is_gold(h.chunk)), None))
    out = {f"recall@{k}": float(np.mean([r is not None and r <= k for r in first_gold])) for k in KS}
    out["mrr"] = float(np.mean([1.0 / r if r is not None and r <= 10 else 0.0 for r in first_gold]))
    return out


def _fused(dense: list[list[Hit]], bm25: list[list[Hit]], fusion: Fusion) -> list[list[Hit]]:
    return [fusion.fuse(d[:fusion.depth], b[:fusion.depth], 10) for d, b in zip(dense, bm25, strict=True)]


def tune(sets: list[tuple[list[list[Hit]], list[list[Hit]], list[Question]]], method: str = "convex") -> Fusion:
    """The fusion setting of `method` with the best mean MRR over the given dev splits."""
    def score(f: Fusion) -> float:
        return float(np.mean([metrics(_fused(d, b, f), qs)["mrr"] for d, b, qs in sets]))
    if method == "rrf":
        grid = [Fusion(k=k, dense_weight=w, method="rrf") for k in GRID_K for w in GRID_DENSE_WEIGHT]
    else:
        grid = [Fusion(alpha=a) for a in GRID_ALPHA]
    return max(grid, key=score)


def _percentiles(ms: list[float]) -> dict[str, float]:
    return {f"p{p}_ms": round(float(np.percentile(ms, p)), 3) for p in (50, 95, 99)}


def evaluate(sets: list[QASet], embedder: Embedder, max_tokens: int = 200, overlap_tokens: int = 40,
             log: Callable[[str], None] = lambda _: None, query_embedder: Embedder | None = None) -> dict[str, Any]:
    """Index each set's documents, rank its questions three ways, tune RRF on each set's dev split (one
    corpus, one setting: what an operator does for theirs), report on the held-out split.

    `query_embedder` (default: `embedder`) embeds the questions, e.g. an int8 copy against the fp32 index.
    Each question is embedded alone (`embed_each`), as the gateway embeds a query.
    """
    offsets = offsets_for(embedder)
    queries = query_embedder or embedder
    prepared = []
    for qa in sets:
        chunks = [c for d in qa.documents for c in chunk_document(d, max_tokens, overlap_tokens, offsets)]
        log(f"{qa.name}: embedding {len(chunks)} chunks of {len(qa.documents)} documents")
        index = FaissIndex.build(chunks, embedder.embed([c.text for c in chunks]), embedder.name, "flat")
        vectors = embed_each(queries, [q.text for q in qa.questions])
        dense = [index.search(v, DEPTH) for v in vectors]
        bm25 = [index.keyword(q.text, DEPTH) for q in qa.questions]
        prepared.append((qa, index, vectors, dense, bm25, len(chunks)))
    report: dict[str, Any] = {"embedder": embedder.name, "sets": {},
                              "chunking": {"max_tokens": max_tokens, "overlap_tokens": overlap_tokens}}
    for qa, index, vectors, dense, bm25, n_chunks in prepared:
        dev = [i for i, q in enumerate(qa.questions) if is_dev(q)]
        dev_set = [([dense[i] for i in dev], [bm25[i] for i in dev], [qa.questions[i] for i in dev])]
        fusion, tuned_rrf = tune(dev_set), tune(dev_set, "rrf")
        log(f"{qa.name}: tuned on {len(dev)} dev questions: convex alpha {fusion.alpha}; "
            f"RRF k={tuned_rrf.k}, dense weight {tuned_rrf.dense_weight}")
        test = [i for i, q in enumerate(qa.questions) if not is_dev(q)]
        questions = [qa.questions[i] for i in test]
        rows: dict[str, Any] = {}
        for mode, ranking in (("dense", [dense[i][:10] for i in test]), ("bm25", [bm25[i][:10] for i in test]),
                              ("hybrid", _fused([dense[i] for i in test], [bm25[i] for i in test], fusion)),
                              ("hybrid (convex, alpha 0.5 default)",
                               _fused([dense[i] for i in test], [bm25[i] for i in test], Fusion())),
                              (f"hybrid (rrf tuned: k={tuned_rrf.k}, dense weight {tuned_rrf.dense_weight})",
                               _fused([dense[i] for i in test], [bm25[i] for i in test], tuned_rrf)),
                              ("hybrid (rrf k=60, 1:1)", _fused([dense[i] for i in test], [bm25[i] for i in test],
                                                                Fusion(method="rrf")))):
            rows[mode] = {k: round(v, 4) for k, v in metrics(ranking, questions).items()}
            if mode in ("dense", "bm25", "hybrid"):
                ms = []
                for i in test[:300]:
                    started = time.perf_counter()
                    index.retrieve(qa.questions[i].text, vectors[i], 10, mode, fusion)  # type: ignore[arg-type]
                    ms.append((time.perf_counter() - started) * 1000)
                rows[mode].update(_percentiles(ms))
        embed_ms = []
        for q in questions[:50]:
            started = time.perf_counter()
            queries.embed([q.text])
            embed_ms.append((time.perf_counter() - started) * 1000)
        report["sets"][qa.name] = {"documents": len(qa.documents), "chunks": n_chunks,
                                   "fusion": {"method": fusion.method, "alpha": fusion.alpha,
                                              "tuned_on": "dev split",
                                              "env": f"RAGGUARD_FUSION=convex RAGGUARD_FUSION_ALPHA={fusion.alpha}"},
                                   "questions_dev": len(qa.questions) - len(test), "questions_test": len(test),
                                   "query_embedding": _percentiles(embed_ms), "modes": rows}
    return report
