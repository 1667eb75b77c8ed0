"""Piece gates: the document rail's (spans, pooled states, an index build that scans less but flags the same) and the
prompt scorer's focus gate (what it reads)."""

from pathlib import Path

import numpy as np
import pytest

from guardrails.documents import document_rail, pieces
from guardrails.piece_gate import FOCUS_GATE, PieceGate, piece_spans
from index.base import Embedder
from index.build import build_index
from index.embedder import SentenceTransformerEmbedder, load_embedder
from index.store import FaissIndex
from tests.conftest import ROOT
from tests.index.test_verdicts import POISONED


@pytest.fixture(scope="module")
def onnx_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Embedder, Embedder]:
    """(int8, fp32) ONNX embedders, as `index build` runs them."""
    cache = Path(tmp_path_factory.getbasetemp()) / "onnx-cache"  # shared with the classifier and embedder tests
    fast, precise = (load_embedder(threads=1, int8=i, cache_dir=cache, fallback=False) for i in (True, False))
    return fast, precise


@pytest.fixture(scope="module")
def gate() -> PieceGate:
    found = PieceGate.load()
    assert found is not None, "models/guardrails/document_gate.json is committed"
    return found


def test_piece_spans_are_the_rails_pieces_where_they_stand() -> None:
    text = "First short one. Second short one.\n\nA much longer sentence " + "that goes on " * 12 + "to the end.\nLast."
    found = piece_spans(text)
    assert [p for p, _, _ in found] == pieces(text)
    for piece, start, end in found:
        assert text[start:end].split() == piece.split()  # merged neighbours: the same words, the span between


def test_pooled_spans_ride_on_the_very_vectors_embed_makes(onnx_pair: tuple[Embedder, Embedder]) -> None:
    precise = onnx_pair[1]
    texts = [POISONED, "One line.", "Restart the pod. Then check /readyz.", "x " * 400, "Short.", "Two. Three."]
    vectors, pooled = precise.embed_spans(texts, [PieceGate.spans(t) for t in texts])  # type: ignore[attr-defined]
    assert np.allclose(vectors, precise.embed(texts), atol=1e-5)
    assert [len(p) for p in pooled] == [len(PieceGate.spans(t)) for t in texts]
    assert np.allclose(np.linalg.norm(pooled[0], axis=1), 1.0, atol=1e-5)


def test_the_gate_reads_only_the_fp32_onnx_pass_of_its_model(onnx_pair: tuple[Embedder, Embedder], gate: PieceGate,
                                                             embedder: SentenceTransformerEmbedder) -> None:
    fast, precise = onnx_pair
    assert gate.reads(precise) and not gate.reads(fast) and not gate.reads(embedder)
    assert document_rail(precise, fast).identity != document_rail(precise, fast, gate=False).identity


def test_the_focus_gate_reads_only_the_int8_onnx_pass_of_its_model(onnx_pair: tuple[Embedder, Embedder],
                                                                   gate: PieceGate) -> None:
    focus = PieceGate.load(FOCUS_GATE)
    assert focus is not None, "models/guardrails/harm/focus_gate.json is committed"
    fast, precise = onnx_pair
    assert focus.int8 and focus.reads(fast) and not focus.reads(precise)
    assert 0.0 < focus.cut < 1.0 and focus.identity != gate.identity


def test_a_gated_build_scans_fewer_pieces_and_flags_the_same_chunks(
        tmp_path: Path, onnx_pair: tuple[Embedder, Embedder]) -> None:
    """docs/ plus a poisoned page: the gate clears pieces of ordinary docs, never a piece the rail scores near its
    line (the planted note's), and every stored verdict's outcome is the one the full scan (the gateway's
    request-time path) gives."""
    fast, precise = onnx_pair
    src = tmp_path / "src"
    (src / "docs").mkdir(parents=True)
    for page in sorted((ROOT / "docs").glob("*.md"))[:4]:
        (src / "docs" / page.name).write_text(page.read_text())
    (src / "maintenance.md").write_text(POISONED)
    rail = document_rail(precise, fast)
    report = build_index(src, tmp_path / "index", precise, progress=False, scanner=rail)
    cleared = sum(map(len, report.cleared.values()))
    assert report.cleared and cleared > 0
    index = FaissIndex.load(tmp_path / "index")
    chunks = list(index.unscanned("another rail").values())  # every chunk, with its stored verdict
    full = rail.check_many([(c.title, c.text) for c in chunks])
    assert [c.verdict.blocked for c in chunks] == [v.blocked for v in full]  # type: ignore[union-attr]
    assert {c.source for c in index.flagged()} == {"maintenance.md"}
    planted = next(c for c in chunks if c.source == "maintenance.md")
    alone = rail.check_many([("", p) for p in pieces(planted.text)])
    near_the_line = {i for i, v in enumerate(alone) if v.score >= 0.6}
    assert near_the_line and not near_the_line & report.cleared[planted.id]
