from pathlib import Path

from index.chunking import Document, chunk_document, load_documents

ROOT = Path(__file__).resolve().parents[2]


def test_chunks_keep_exact_offsets() -> None:
    text = "# Title\n\n" + "\n\n".join(f"Paragraph {i} " + "word " * 50 for i in range(6))
    doc = Document("a.md", "Title", text)
    chunks = chunk_document(doc, max_words=120)
    assert len(chunks) > 1
    for c in chunks:
        assert doc.text[c.start:c.end].strip() == c.text
        assert len(c.text.split()) <= 120 or c.text.count("\n\n") == 0


def test_neighbouring_chunks_overlap_by_a_paragraph() -> None:
    text = "\n\n".join(f"p{i} " + "w " * 30 for i in range(8))
    chunks = chunk_document(Document("b.txt", "b", text), max_words=100)
    assert any(a.end > b.start for a, b in zip(chunks, chunks[1:], strict=False))
    assert chunks[-1].end == len(text)


def test_load_documents_reads_md_and_txt_with_titles() -> None:
    docs = load_documents(ROOT / "docs")
    assert {d.source for d in docs} >= {"configuration.md", "metrics.md"}
    assert next(d for d in docs if d.source == "metrics.md").title == "Metrics"
