"""Documents -> overlapping chunks that keep their character offsets (for exact citations)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

_PARA = re.compile(r"\n\s*\n")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
TEXT_SUFFIXES = (".md", ".txt")


@dataclass(frozen=True)
class Document:
    source: str
    title: str
    text: str


@dataclass(frozen=True)
class Chunk:
    id: str
    source: str
    title: str
    text: str
    start: int
    end: int


def load_documents(root: Path) -> list[Document]:
    """Read every .md/.txt file below root (or root itself), sorted for reproducible builds."""
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.suffix in TEXT_SUFFIXES)
    docs = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        source = str(path.relative_to(root)) if root.is_dir() else path.name
        heading = _HEADING.search(text)
        docs.append(Document(source=source, title=heading.group(1) if heading else path.stem, text=text))
    return docs


def _paragraph_spans(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for m in _PARA.finditer(text):
        if text[pos:m.start()].strip():
            spans.append((pos, m.start()))
        pos = m.end()
    if text[pos:].strip():
        spans.append((pos, len(text)))
    return spans


def chunk_document(doc: Document, max_words: int = 120, overlap_paragraphs: int = 1) -> list[Chunk]:
    """Pack whole paragraphs into chunks of about max_words, repeating the last paragraph(s)."""
    spans = _paragraph_spans(doc.text)
    sizes = [len(doc.text[a:b].split()) for a, b in spans]
    chunks: list[Chunk] = []
    i = 0
    while i < len(spans):
        j, words = i, 0
        while j < len(spans) and (j == i or words + sizes[j] <= max_words):
            words += sizes[j]
            j += 1
        start, end = spans[i][0], spans[j - 1][1]
        chunks.append(Chunk(id=f"{doc.source}#{len(chunks)}", source=doc.source, title=doc.title,
                            text=doc.text[start:end].strip(), start=start, end=end))
        if j >= len(spans):
            break
        overlap_start = max(i + 1, j - overlap_paragraphs)
        # Overlap only when the overlapped paragraphs still leave room for the next one.
        i = overlap_start if sum(sizes[overlap_start:j + 1]) <= max_words else j
    return chunks


def chunk_documents(docs: Iterable[Document], max_words: int = 120) -> list[Chunk]:
    return [c for d in docs for c in chunk_document(d, max_words=max_words)]
