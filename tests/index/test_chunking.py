from index.base import Chunk
from index.chunking import Document, chunk_document, dedup, tokenizer_offsets
from index.embedder import SentenceTransformerEmbedder


def test_chunks_keep_exact_offsets_and_respect_the_token_budget(embedder: SentenceTransformerEmbedder) -> None:
    text = "# Title\n\n" + "\n\n".join(f"Paragraph {i} " + "photovoltaic inverter " * 40 for i in range(6))
    doc = Document("a.md", "Title", text)
    offsets = tokenizer_offsets(embedder.tokenizer)
    chunks = chunk_document(doc, max_tokens=100, overlap_tokens=20, offsets=offsets)
    assert len(chunks) > 3
    for c in chunks:
        assert doc.text[c.start:c.end].strip() == c.text
        assert len(embedder.tokenizer(c.text, add_special_tokens=False)["input_ids"]) <= 100


def test_neighbouring_chunks_overlap() -> None:
    text = "\n\n".join(f"p{i} " + "w " * 30 for i in range(8))
    chunks = chunk_document(Document("b.txt", "b", text), max_tokens=100, overlap_tokens=20)
    assert all(a.end > b.start for a, b in zip(chunks, chunks[1:], strict=False))
    assert chunks[-1].end == len(text.rstrip())


def test_pdf_pages_get_their_own_chunk_ids() -> None:
    chunks = chunk_document(Document("m.pdf", "M", "page two text", page=2))
    assert chunks[0].id == "m.pdf#p2#0" and chunks[0].page == 2


def test_identical_chunks_are_dropped() -> None:
    a, b = Chunk("x#0", "x", "x", "same  text", 0, 9), Chunk("y#0", "y", "y", "same text", 0, 9)
    kept, dropped = dedup([a, b])
    assert kept == [a] and dropped == 1
