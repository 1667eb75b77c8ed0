"""Training examples on the serving distribution: what the gateway really shows the model.

One corpus (PubMedQA abstracts, COVID-QA articles and our own docs/) is chunked by the index's chunker, embedded
by the index's embedder and searched by the gateway's retriever (hybrid, its fusion, the default top_k, the query
embedded as the gateway embeds a prompt). Each question is rendered with `service/prompt.py`'s messages over the
hits it really gets:

- gold chunk retrieved: the extractive answer, the gold chunk's sentence that holds the answer, cited `[n]`
  (PubMedQA: the yes/no/maybe decision, then the sentence closest to the expert's conclusion);
- gold chunk not retrieved, or a TruthfulQA question (no corpus holds its answer): REFUSAL.

With `tech` (tech_docs.corpus, from the config's `tech_*` settings), synthetic technical READMEs (ports, settings
tables, commands, endpoints, metrics, errors) join the corpus with their questions, answered by a sentence that
states the README's value.

The split is by source document: a held-out document's questions are held out, and training questions are
retrieved from an index without the held-out documents, so no training example shows a held-out document.
The docs Q&A set (docs_qa.jsonl) is never trained on: docs/ chunks appear only as distractors, and a training
question that matches a docs question is dropped (asserted).
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import re
from dataclasses import asdict
from pathlib import Path

import numpy as np

from index.chunking import Chunk, Document, chunk_document, dedup
from training.finetune.data import COVIDQA, PUBMEDQA, REFUSAL, Example, Passage, words
from training.finetune.docs_eval import DOCS_QA, load_docs_qa

logger = logging.getLogger(__name__)
TRUTHFULQA = Path("retrieval/truthfulqa/TruthfulQA.csv")
DOCS_DIR = Path(__file__).resolve().parents[2] / "docs"
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[])")
_MAX_SENTENCE = 300
_REFERENCE = re.compile(r"\s*\[\d+(?:\s*[,;–-]\s*\d+)*\]")
SPLIT_PREFIXES = ("pubmedqa", "covidqa", "truthfulqa", "techdocs")
TechCorpus = tuple[list[Document], list[dict]]  # type: ignore[type-arg]  # tech_docs.corpus: READMEs, questions


def held_out(key: str, share: float) -> bool:
    """A stable split by key (a corpus document, or a question without one); docs/ files are never held out."""
    return key.startswith(SPLIT_PREFIXES) and hashlib.sha256(key.encode()).digest()[0] < share * 256


def _question_key(text: str) -> str:
    return " ".join(sorted(words(text)))


def _sentences(text: str) -> list[tuple[int, str]]:
    """(start offset, sentence) of a chunk's text."""
    out, pos = [], 0
    for part in _SENTENCE.split(text):
        start = text.index(part, pos)
        out.append((start, part.strip()))
        pos = start + len(part)
    return out


def _cite(sentence: str, n: int) -> str:
    """The sentence with its own reference marks (an article's "[12]") dropped, ending in our citation."""
    return f"{_REFERENCE.sub('', sentence).rstrip(' .!?;:,')} [{n}]."


def pubmedqa_corpus(path: Path) -> tuple[list[Document], list[dict]]:  # type: ignore[type-arg]
    data = json.loads(path.read_text())
    docs = [Document(source=f"pubmedqa/{pmid}", title=f"PubMed {pmid}", text="\n\n".join(r["CONTEXTS"]))
            for pmid, r in data.items()]
    questions = [{"id": f"pubmedqa-{pmid}", "question": r["QUESTION"], "source": f"pubmedqa/{pmid}",
                  "decision": r["final_decision"], "conclusion": r["LONG_ANSWER"]} for pmid, r in data.items()]
    return docs, questions


def covidqa_corpus(path: Path) -> tuple[list[Document], list[dict]]:  # type: ignore[type-arg]
    docs, questions = [], []
    for article in json.loads(path.read_text())["data"]:
        for para in article["paragraphs"]:
            source = f"covidqa/{para['document_id']}"
            docs.append(Document(source=source, title=f"COVID-QA article {para['document_id']}", text=para["context"]))
            for qa in para["qas"]:
                ans = qa["answers"][0]
                text = " ".join(ans["text"].split()).strip(" .")
                if 2 <= len(text) <= 200:
                    questions.append({"id": f"covidqa-{qa['id']}", "question": qa["question"].strip(),
                                      "source": source, "span": [ans["answer_start"],
                                                                 ans["answer_start"] + len(ans["text"])],
                                      "short": text})
    return docs, questions


def truthfulqa_questions(path: Path) -> list[dict]:  # type: ignore[type-arg]
    with path.open(newline="") as f:
        return [{"id": f"truthfulqa-{i}", "question": row["Question"].strip(), "source": None}
                for i, row in enumerate(csv.DictReader(f))]


def docs_corpus() -> list[Document]:
    from index.loaders import document_files, load_file

    return [d for p in document_files(DOCS_DIR) for d in load_file(p, DOCS_DIR)]


def answer_for(q: dict, hits: list[Chunk]) -> tuple[str, str, int]:  # type: ignore[type-arg]
    """(answer, short answer for scoring, cited number) from the hits; ("REFUSAL", "", 0) without the gold."""
    if q["source"] is None:
        return REFUSAL, "", 0
    if "span" in q:  # COVID-QA: the sentence of the chunk that holds the answer span (techdocs: its own sentence)
        start, end = q["span"]
        for n, c in enumerate(hits, start=1):
            if c.source == q["source"] and c.start <= start and end <= c.end + 1:
                at = start - c.start
                sentence = q.get("sentence") or next((s for s0, s in reversed(_sentences(c.text)) if s0 <= at),
                                                     q["short"])
                if len(sentence) > _MAX_SENTENCE or q["short"].lower() not in sentence.lower():
                    sentence = q["short"][0].upper() + q["short"][1:]
                return _cite(sentence, n), q["short"], n
        return REFUSAL, "", 0
    target = words(q["conclusion"])  # PubMedQA: the decision and the gold sentence nearest the conclusion
    best: tuple[float, str, int] | None = None
    for n, c in enumerate(hits, start=1):
        if c.source != q["source"]:
            continue
        for _, s in _sentences(c.text):
            overlap = len(words(s) & target) / max(1, len(words(s))) ** 0.5  # close to it, and short
            if len(s) <= _MAX_SENTENCE and (best is None or overlap > best[0]):
                best = (overlap, s, n)
    if best is None:
        return REFUSAL, "", 0
    _, sentence, n = best
    return f"{q['decision'].capitalize()}: {_cite(sentence[0].lower() + sentence[1:], n)}", q["decision"], n


def build(data_dir: Path, top_k: int | None = None, held_out_share: float = 0.1,
          limit_docs: int | None = None, tech: TechCorpus = ([], [])) -> tuple[list[Example], list[Example]]:
    """(train, held-out) examples over the real chunker, embedder, retriever and prompt; `tech`'s synthetic
    technical READMEs (tech_docs.corpus) join the corpus with their questions, split by README like the others."""
    from index.build import offsets_for
    from index.embedder import embed_each, load_embedder
    from index.hybrid import Fusion
    from index.store import FaissIndex
    from service.rails import prompt_embedders
    from service.settings import Settings

    settings = Settings()
    top_k = top_k or settings.top_k
    pub_docs, pub_q = pubmedqa_corpus(data_dir / PUBMEDQA)
    cov_docs, cov_q = covidqa_corpus(data_dir / COVIDQA)
    if limit_docs:  # quick runs and tests: the first documents and their questions only
        pub_docs, cov_docs = pub_docs[:limit_docs], cov_docs[:max(1, limit_docs // 10)]
        keep = {d.source for d in pub_docs + cov_docs}
        pub_q, cov_q = [q for q in pub_q if q["source"] in keep], [q for q in cov_q if q["source"] in keep]
    tech_docs, tech_q = tech
    questions = pub_q + cov_q + tech_q + truthfulqa_questions(data_dir / TRUTHFULQA)[:limit_docs or None]
    docs_questions = {_question_key(q.question) for q in load_docs_qa(DOCS_QA)}
    questions = [q for q in questions if _question_key(q["question"]) not in docs_questions]

    def load(int8: bool, fallback: bool = True):  # type: ignore[no-untyped-def]
        return load_embedder(settings.embedder_model, 1, settings.embedder_backend, int8=int8,
                             cache_dir=settings.cache_dir, fallback=fallback)

    embedder = load(False)
    query_embedder, _ = prompt_embedders(settings, load)
    offsets = offsets_for(embedder)
    corpus = [*pub_docs, *cov_docs, *tech_docs, *docs_corpus()]
    chunks, _ = dedup(c for d in corpus for c in chunk_document(d, 200, 40, offsets))
    logger.info("embedding %d chunks", len(chunks))
    vectors = embedder.embed([c.text for c in chunks])
    fusion = Fusion(settings.rrf_k, settings.rrf_dense_weight, settings.rrf_bm25_weight, method=settings.fusion,
                    alpha=settings.fusion_alpha)
    full = FaissIndex.build(chunks, vectors, embedder.name, "flat")
    train_rows = [i for i, c in enumerate(chunks) if not held_out(c.source, held_out_share)]
    train_index = FaissIndex.build([chunks[i] for i in train_rows], vectors[train_rows], embedder.name, "flat")
    logger.info("embedding %d questions", len(questions))
    qvecs = embed_each(query_embedder, [q["question"] for q in questions])
    train, held = [], []
    for q, vec in zip(questions, qvecs, strict=True):
        is_held = held_out(q.get("split") or q["source"] or q["id"], held_out_share)  # split: a README's own
        hits = (full if is_held else train_index).retrieve(q["question"], np.asarray(vec), top_k, "hybrid", fusion)
        chunks_shown = [h.chunk for h in hits]
        answer, short, cited = answer_for(q, chunks_shown)
        ex = Example(q["id"], q["id"].split("-")[0], q["question"], [Passage(c.title, c.text) for c in chunks_shown],
                     answer, short, cited, {"gold": q["source"], "shown": [c.source for c in chunks_shown],
                                            **({"absent": q["split"]} if "split" in q else {})})
        (held if is_held else train).append(ex)
    assert not {_question_key(e.question) for e in train} & docs_questions, "a docs question in training"
    assert not {s for e in train for s in e.meta["shown"] if held_out(s, held_out_share)}, "held-out doc in training"
    return train, held


def save(examples: list[Example], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(asdict(e)) + "\n" for e in examples))


def load(path: Path) -> list[Example]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [Example(**{**r, "passages": [Passage(**p) for p in r["passages"]]}) for r in rows]


def cached(data_dir: Path, cache: Path, held_out_share: float = 0.1,
           tech: TechCorpus = ([], [])) -> tuple[list[Example], list[Example]]:
    """The serving examples from `cache` (train.jsonl, held_out.jsonl), built there first when missing."""
    if not (cache / "held_out.jsonl").exists():
        train, held = build(data_dir, held_out_share=held_out_share, tech=tech)
        save(train, cache / "train.jsonl")
        save(held, cache / "held_out.jsonl")
    return load(cache / "train.jsonl"), load(cache / "held_out.jsonl")


def summary(train: list[Example], held: list[Example]) -> str:
    """Counts per split and corpus: examples, refusals, and how often the gold chunk was retrieved."""
    out = {}
    for name, split in (("train", train), ("held_out", held)):
        for corpus in sorted({e.source for e in split}):
            rows = [e for e in split if e.source == corpus]
            out[f"{name}/{corpus}"] = {"examples": len(rows), "refusals": sum(not e.answerable for e in rows),
                                       "documents": len({e.meta.get("gold") for e in rows})}
    return json.dumps(out, indent=2)
