"""bench/overhead's parsing of the gateway's Server-Timing header (what "outside generation" is built on)."""

from bench.overhead import server_timing


def test_server_timing_parses_stage_durations() -> None:
    assert server_timing("input_rails;dur=12.5, retrieval;dur=1.0, generation;dur=500.0") == {
        "input_rails": 0.0125, "retrieval": 0.001, "generation": 0.5}
    assert server_timing("") == {}
