"""Documents -> overlapping chunks measured in the embedder's own tokens, keeping character offsets
(so a citation points at the exact span) and the document's metadata (source, title, page, url)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from index.base import Chunk

_PARA = re.compile(r"\n\s*\n")
_WORD = re.compile(r"\S+")

# texts -> per text, the (start, end) character offsets of each token
TokenOffsets = Callable[[list[str]], list[list[tuple[int, int]]]]


@dataclass(frozen=True)
class Document:
    source: str
    title: str
    text: str
    page: int | None = None
    url: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Unique per document: a PDF page or a JSONL record shares its file's source."""
        return f"{self.source}#p{self.page}" if self.page is not None else self.source


def word_offsets(texts: list[str]) -> list[list[tuple[int, int]]]:
    """Whitespace words: the fallback when no tokenizer is at hand."""
    return [[m.span() for m in _WORD.finditer(t)] for t in texts]


def tokenizer_offsets(tokenizer: Any) -> TokenOffsets:
    """Offsets from a Hugging Face fast tokenizer (the embedder's), without special tokens."""
    def offsets(texts: list[str]) -> list[list[tuple[int, int]]]:
        if not texts:
            return []
        enc = tokenizer(texts, add_special_tokens=False, return_offsets_mapping=True, truncation=False,
                        verbose=False)
        return [[(a, b) for a, b in row if b > a] for row in enc["offset_mapping"]]
    return offsets


def _paragraph_spans(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for m in _PARA.finditer(text):
        if text[pos:m.start()].strip():
            spans.append((pos, m.start()))
        pos = m.end()
    if text[pos:].strip():
        spans.append((pos, len(text)))
    return spans


def _pieces(text: str, offsets: TokenOffsets, piece_tokens: int) -> list[tuple[int, int, int]]:
    """Paragraphs as (start, end, tokens), longer ones cut at token edges into piece_tokens windows
    (the unit of overlap between neighbouring chunks)."""
    spans = _paragraph_spans(text)
    pieces = []
    for (a, b), toks in zip(spans, offsets([text[a:b] for a, b in spans]), strict=True):
        if len(toks) <= piece_tokens:
            pieces.append((a, b, len(toks)))
            continue
        i = 0
        while i < len(toks):
            j = min(i + piece_tokens, len(toks))
            while i + 1 < j < len(toks) and toks[j][0] == toks[j - 1][1]:
                j -= 1  # cut between words, so the pieces re-tokenize to the same count
            if j == i + 1 and i + piece_tokens < len(toks) and toks[j][0] == toks[j - 1][1]:
                j = i + piece_tokens  # one word longer than a piece: cut inside it
            pieces.append((a + toks[i][0], a + toks[j - 1][1], j - i))
            i = j
    return pieces


def chunk_document(doc: Document, max_tokens: int = 200, overlap_tokens: int = 40,
                   offsets: TokenOffsets = word_offsets) -> list[Chunk]:
    """Pack paragraphs into chunks of at most max_tokens; neighbours share up to overlap_tokens."""
    piece_tokens = overlap_tokens if 0 < overlap_tokens < max_tokens else max_tokens
    pieces = _pieces(doc.text, offsets, piece_tokens)
    chunks: list[Chunk] = []
    i = 0
    while i < len(pieces):
        j, tokens = i, 0
        while j < len(pieces) and (j == i or tokens + pieces[j][2] <= max_tokens):
            tokens += pieces[j][2]
            j += 1
        start, end = pieces[i][0], pieces[j - 1][1]
        chunks.append(Chunk(id=f"{doc.key}#{len(chunks)}", source=doc.source, title=doc.title,
                            text=doc.text[start:end].strip(), start=start, end=end, page=doc.page, url=doc.url,
                            tokens=tokens))
        if j >= len(pieces):
            break
        k = j
        while k - 1 > i and sum(p[2] for p in pieces[k - 1:j]) <= overlap_tokens:
            k -= 1
        i = k
    return chunks


def chunk_documents(docs: Iterable[Document], max_tokens: int = 200, overlap_tokens: int = 40,
                    offsets: TokenOffsets = word_offsets) -> list[Chunk]:
    return [c for d in docs for c in chunk_document(d, max_tokens, overlap_tokens, offsets)]


def dedup(chunks: Iterable[Chunk]) -> tuple[list[Chunk], int]:
    """Drop chunks whose text (whitespace-normalized) was already seen; returns (kept, dropped)."""
    seen: set[str] = set()
    kept, dropped = [], 0
    for c in chunks:
        key = " ".join(c.text.split())
        if key not in seen:
            seen.add(key)
            kept.append(c)
        else:
            dropped += 1
    return kept, dropped
