from guardrails.sentences import SentenceStream, split_sentences


def test_split_sentences_and_list_items() -> None:
    text = "The port is 8080 [1]. It binds to 127.0.0.1. Options:\n- annotate\n- strip"
    assert split_sentences(text) == ["The port is 8080 [1].", "It binds to 127.0.0.1.", "Options:",
                                     "- annotate", "- strip"]


def test_stream_releases_only_complete_sentences() -> None:
    stream = SentenceStream()
    out = []
    for delta in ["The gate", "way listens on 8080. It ", "binds to local", "host. Done"]:
        out += stream.feed(delta)
    assert out == ["The gateway listens on 8080.", "It binds to localhost."]
    assert stream.flush() == ["Done"]
