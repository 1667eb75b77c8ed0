from pathlib import Path

import pytest

from guardrails.grounding import EmbeddingGroundingRail
from guardrails.grounding_model import (
    Cascade,
    GroundingTimeout,
    ModelGroundingRail,
    load_rail,
    make_output_rail,
    passage_windows,
)
from guardrails.policy import decide
from index.base import Chunk, Hit
from index.embedder import SentenceTransformerEmbedder
from index.store import FaissIndex

QUESTION = "What port does the gateway listen on?"


@pytest.fixture(scope="module")
def rail(embedder: SentenceTransformerEmbedder) -> ModelGroundingRail:
    return load_rail(embedder, budget_s=300.0)  # no timing in tests: the machine may be busy


def _hits(index_dir: Path, embedder: SentenceTransformerEmbedder, question: str) -> list[Hit]:
    index = FaissIndex.load(index_dir, embedder.name, embedder.dim)
    return index.search(embedder.embed([question])[0], 4)


def _passage(text: str) -> Hit:
    return Hit(Chunk("p1", "notes.md", "Notes", text, 0, len(text)), 1.0)


def test_windows_are_sentences_and_adjacent_pairs() -> None:
    windows = passage_windows("One fact here. Another fact there. A third one.")
    assert windows[:3] == ["One fact here.", "Another fact there.", "A third one."]
    assert "One fact here. Another fact there." in windows


def test_supported_and_unsupported_sentences(rail: ModelGroundingRail, index_dir: Path,
                                             embedder: SentenceTransformerEmbedder) -> None:
    hits = _hits(index_dir, embedder, QUESTION)
    good, bad = rail.check(["The gateway listens on port 8080 by default.",
                            "Bananas are an excellent source of potassium for athletes."], hits).sentences
    assert good.supported and not bad.supported
    assert good.score > bad.score and 0.0 <= bad.score <= 1.0
    assert hits[good.best_hit or 0].chunk.source == "configuration.md"
    assert bad.reason and not good.reason


def test_a_wrong_number_is_not_supported(rail: ModelGroundingRail, index_dir: Path,
                                         embedder: SentenceTransformerEmbedder) -> None:
    hits = _hits(index_dir, embedder, QUESTION)
    right, wrong = rail.check(["The gateway listens on port 8080 by default.",
                               "The gateway listens on port 9137 by default."], hits).sentences
    assert right.supported and not wrong.supported
    assert "9137" in wrong.reason and wrong.score < right.score


def test_negation_and_swapped_facts_on_a_plain_passage(rail: ModelGroundingRail) -> None:
    hits = [_passage("The rate limiter counts requests per tenant. Counters are shared across replicas "
                     "through Redis when a Redis URL is configured.")]
    result = rail.check(["Requests are counted per tenant.",
                         "Counters are shared through Memcached."], hits)
    assert [s.supported for s in result.sentences] == [True, False]


def test_citations_are_checked(rail: ModelGroundingRail, index_dir: Path,
                               embedder: SentenceTransformerEmbedder) -> None:
    hits = _hits(index_dir, embedder, QUESTION)
    cited = next(i for i, h in enumerate(hits, start=1) if h.chunk.source == "configuration.md")
    ok, dangling = rail.check([f"The gateway listens on port 8080 by default [{cited}].",
                               "The gateway listens on port 8080 by default [9]."], hits).sentences
    assert ok.supported and ok.citations == (cited,)
    assert not dangling.supported and "[9]" in dangling.reason


def test_no_sources_means_nothing_is_supported(rail: ModelGroundingRail) -> None:
    result = rail.check(["Anything at all."], [])
    assert not result.sentences[0].supported and result.sentences[0].reason == "no sources retrieved"


def test_strip_policy_drops_the_unsupported_sentence(rail: ModelGroundingRail, index_dir: Path,
                                                    embedder: SentenceTransformerEmbedder) -> None:
    hits = _hits(index_dir, embedder, QUESTION)
    result = rail.check(["The gateway listens on port 8080 by default.", "It was written in Haskell in 1987."], hits)
    assert decide(result, "strip", 0.5).kept == [True, False]


def test_over_budget_raises(embedder: SentenceTransformerEmbedder, rail: ModelGroundingRail) -> None:
    """The pipeline turns this into a fail-closed refusal; the rail never passes what it could not check."""
    slow = ModelGroundingRail(embedder, rail.model, budget_s=0.0)
    with pytest.raises(GroundingTimeout):
        slow.check(["The gateway listens on port 8080."], [_passage("The gateway binds port 8080.")])


def test_the_baseline_stays_selectable(embedder: SentenceTransformerEmbedder) -> None:
    assert isinstance(make_output_rail("embedding", embedder, 0.55, None, 2.0), EmbeddingGroundingRail)
    assert isinstance(make_output_rail("model", embedder, 0.55, 0.7, 2.0), ModelGroundingRail)
    assert make_output_rail("model", embedder, 0.55, 0.7, 2.0).threshold == 0.7


def test_a_refusal_and_a_bare_citation_are_not_claims(rail: ModelGroundingRail, index_dir: Path,
                                                      embedder: SentenceTransformerEmbedder) -> None:
    hits = _hits(index_dir, embedder, QUESTION)
    result = rail.check(["I do not know: the sources do not say.", "[1].",
                         "The gateway listens on port 9137 by default."], hits)
    refusal, citation, wrong = result.sentences
    assert refusal.verdict == citation.verdict == "refusal" and refusal.supported and citation.supported
    assert wrong.verdict == "unsupported"
    assert decide(result, "strip", 0.5).kept == [True, True, False]


def test_the_cross_encoder_decides_inside_the_band(rail: ModelGroundingRail) -> None:
    assert rail.cross_encoder is not None and rail.cascade is not None
    band = ModelGroundingRail(rail._embedder, rail.model, cross_encoder=rail.cross_encoder,  # noqa: SLF001
                              cascade=Cascade(0.0, 1.01, rail.threshold))  # every claim goes to the cross-encoder
    hits = [_passage("The rate limiter counts requests per tenant. Counters are shared across replicas "
                     "through Redis when a Redis URL is configured.")]
    extractive, paraphrase, foreign = band.check(["Counters are shared across replicas through Redis.",
                                                  "Requests are counted for each tenant by the rate limiter.",
                                                  "Bananas are an excellent source of potassium."], hits).sentences
    assert extractive.supported and extractive.score >= 1.0  # verbatim: accepted without the cross-encoder
    assert paraphrase.supported and not foreign.supported
    assert "cross-encoder support" in foreign.reason


def test_without_the_cross_encoder_the_cheap_model_decides(embedder: SentenceTransformerEmbedder) -> None:
    cheap = load_rail(embedder, budget_s=300.0, cross_encoder=False)
    assert cheap.cross_encoder is None and cheap.threshold == cheap.model.threshold
    assert load_rail(embedder, threshold=0.3, budget_s=300.0).threshold == 0.3  # the setting still overrides
