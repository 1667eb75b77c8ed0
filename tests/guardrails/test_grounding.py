from pathlib import Path

from guardrails.grounding import EmbeddingGroundingRail
from guardrails.policy import decide
from index.embedder import SentenceTransformerEmbedder
from index.store import FaissIndex


def _hits(index_dir: Path, embedder: SentenceTransformerEmbedder, question: str):  # type: ignore[no-untyped-def]
    index = FaissIndex.load(index_dir, embedder.name, embedder.dim)
    return index.search(embedder.embed([question])[0], 4)


def test_supported_and_unsupported_sentences(index_dir: Path, embedder: SentenceTransformerEmbedder) -> None:
    hits = _hits(index_dir, embedder, "What port does the gateway listen on?")
    rail = EmbeddingGroundingRail(embedder, threshold=0.55)
    result = rail.check(["The gateway listens on port 8080 by default.",
                         "Bananas are an excellent source of potassium for athletes."], hits)
    good, bad = result.sentences
    assert good.supported and not bad.supported
    assert good.score > bad.score
    assert hits[good.best_hit or 0].chunk.source == "configuration.md"


def test_no_sources_means_nothing_is_supported(embedder: SentenceTransformerEmbedder) -> None:
    result = EmbeddingGroundingRail(embedder, 0.55).check(["Anything at all."], [])
    assert not result.sentences[0].supported


def test_policies(index_dir: Path, embedder: SentenceTransformerEmbedder) -> None:
    hits = _hits(index_dir, embedder, "What port does the gateway listen on?")
    result = EmbeddingGroundingRail(embedder, 0.55).check(
        ["The gateway listens on port 8080 by default.", "Bananas are rich in potassium."], hits)
    assert decide(result, "annotate", 0.5).kept == [True, True]
    strip = decide(result, "strip", 0.5)
    assert strip.kept == [True, False] and not strip.refused
    assert decide(result, "refuse", 0.9).refused
    assert not decide(result, "refuse", 0.5).refused
