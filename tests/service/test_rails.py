"""Which embedders serve prompts (RAGGUARD_PROMPT_EMBEDDING: the cascade needs the ONNX int8 copy) and what the
learned rails attach (RAGGUARD_FOCUS_GATE)."""

from collections.abc import Callable
from pathlib import Path

import pytest

from guardrails.head_rails import HarmfulRail
from index.base import Embedder
from index.embedder import load_embedder
from index.onnx_embedder import OnnxEmbedder
from service.rails import build_rails, prompt_embedders
from service.settings import Settings


@pytest.fixture(scope="module")
def load(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Embedder]:
    cache = Path(tmp_path_factory.getbasetemp()) / "onnx-cache"  # shared with tests/index/test_embedder.py

    def real(int8: bool, fallback: bool = True) -> Embedder:  # the real ONNX embedders, as the gateway loads them
        return load_embedder(threads=1, int8=int8, cache_dir=cache, fallback=fallback)
    return real


@pytest.mark.parametrize("mode,fast,precise", [("cascade", True, False), ("int8", True, None), ("fp32", False, None)])
def test_prompt_embedders_follow_the_setting(load: Callable[..., Embedder], mode: str, fast: bool,
                                             precise: bool | None) -> None:
    got_fast, got_precise = prompt_embedders(Settings(prompt_embedding=mode), load)
    assert isinstance(got_fast, OnnxEmbedder) and got_fast.int8 is fast
    assert (got_precise.int8 if got_precise is not None else None) is precise


@pytest.mark.parametrize("settings", [Settings(embedder_backend="torch"), Settings()])
def test_the_cascade_falls_back_to_fp32_alone_without_the_onnx_int8_copy(load: Callable[..., Embedder],
                                                                        settings: Settings) -> None:
    def int8_fails(int8: bool, fallback: bool = True) -> Embedder:  # fault injection: no ONNX int8 graph
        if int8 and not fallback:
            raise RuntimeError("no ONNX int8 graph")
        return load(int8, fallback)

    fast, precise = prompt_embedders(settings, int8_fails)
    assert fast.int8 is False and precise is None  # never torch int8 vectors against the ONNX-measured cut


@pytest.mark.parametrize("gate,encoder,attached", [("on", "on", True), ("off", "on", False), ("on", "off", False)])
def test_the_focus_gate_follows_the_setting_and_needs_the_encoder(load: Callable[..., Embedder], gate: str,
                                                                  encoder: str, attached: bool) -> None:
    """RAGGUARD_FOCUS_GATE: on by default, and only with the harm encoder (it picks what the encoder reads)."""
    settings = Settings(focus_gate=gate, harm_encoder=encoder, pii_mode="off")
    fast, precise = prompt_embedders(settings, load)
    scorer = next(r.scorer for r in build_rails(settings, fast, precise).input if isinstance(r, HarmfulRail))
    assert (scorer.focus_gate is not None) is attached


def test_the_language_rail_runs_first_reads_the_setting_and_can_be_turned_off(load: Callable[..., Embedder]) -> None:
    """RAGGUARD_INPUT_LANGUAGES picks what it accepts; RAGGUARD_RAIL_MODES {"language": "off"} drops it (a bypass)."""
    settings = Settings(input_languages=["de", "EN"], pii_mode="off")
    fast, precise = prompt_embedders(settings, load)
    rails = build_rails(settings, fast, precise)
    assert rails.input[0].name == "language" and rails.input[0].languages == ["de", "en"]  # type: ignore[attr-defined]
    off = build_rails(Settings(rail_modes={"language": "off"}, pii_mode="off"), fast, precise)
    assert "language" not in {r.name for r in off.input} and "language" in off.off
    with pytest.raises(ValueError, match="klingon"):
        Settings(input_languages=["en", "klingon"])
