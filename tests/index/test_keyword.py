import bm25s
import pytest

from index.keyword import KeywordIndex


def test_bm25_ranks_the_document_with_the_query_words_first() -> None:
    index = KeywordIndex.build([7, 8, 9], ["Heliostat mirrors track the sun.", "The gateway listens on port 8080.",
                                           "Rails are counted per verdict."])
    found = index.search("which port does the gateway listen on", 3)
    assert found[0][0] == 8 and all(score > 0 for _, score in found)
    assert index.search("the of and", 3) == []  # stopwords only: no query left


def test_a_search_runs_in_the_calling_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """bm25s with n_threads >= 1 starts and joins a thread pool on every call (~0.35 ms per request)."""
    index = KeywordIndex.build([1, 2], ["Heliostat mirrors track the sun.", "The gateway listens on port 8080."])

    def no_pool(*args: object, **kwargs: object) -> None:
        raise AssertionError("keyword search started a thread pool")

    monkeypatch.setattr(bm25s, "ThreadPoolExecutor", no_pool)
    assert index.search("heliostat mirrors", 2)[0][0] == 1
