from guardrails.claims import parse_claim, parse_claims
from guardrails.exact import check_facts, names, numbers, unknown_citations


def test_claims_keep_their_citation_markers() -> None:
    claim = parse_claim("The default port is 8080 [1][3].")
    assert claim.text == "The default port is 8080." and claim.citations == (1, 3)
    assert parse_claim("Both say so [2, 1] and again [2].").citations == (2, 1)
    assert parse_claims(["No markers here."])[0].citations == ()


def test_numbers_are_canonical() -> None:
    assert numbers("1,000 users paid 2.50 on port 8080, 95% of them") == {"1000", "2.5", "8080", "95"}


def test_a_changed_number_is_caught() -> None:
    passages = ["The gateway binds 127.0.0.1:8080 unless RAGGUARD_PORT is set."]
    assert check_facts("The gateway listens on port 8080.", passages).ok
    wrong = check_facts("The gateway listens on port 9090.", passages)
    assert not wrong.ok and wrong.missing == ("9090",) and "9090" in wrong.reason()


def test_number_words_in_sources_count() -> None:
    assert check_facts("It retries 2 times.", ["The client retries twice on connection errors."]).ok


def test_a_foreign_name_is_caught() -> None:
    passages = ["Retrieval uses a FAISS inner-product index built by the index CLI."]
    assert check_facts("Retrieval uses FAISS.", passages).ok
    assert check_facts("Retrieval uses Elasticsearch.", passages).missing == ("Elasticsearch",)
    assert "The" not in names("The index is built by FAISS.")


def test_citations_must_point_at_retrieved_passages() -> None:
    assert unknown_citations((1, 2), retrieved=2) == ()
    assert unknown_citations((1, 4, 0), retrieved=3) == (4, 0)
