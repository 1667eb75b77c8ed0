"""Which embedders serve prompts (RAGGUARD_PROMPT_EMBEDDING): the cascade needs the ONNX int8 copy."""

from dataclasses import dataclass

import pytest

from service.rails import prompt_embedders
from service.settings import Settings


@dataclass
class Loaded:
    int8: bool


def loader(onnx_int8_fails: bool = False):  # noqa: ANN201
    def load(int8: bool, fallback: bool = True) -> Loaded:
        if int8 and onnx_int8_fails and not fallback:
            raise RuntimeError("no ONNX int8 graph")
        return Loaded(int8)
    return load


@pytest.mark.parametrize("mode,fast,precise", [("cascade", True, False), ("int8", True, None), ("fp32", False, None)])
def test_prompt_embedders_follow_the_setting(mode: str, fast: bool, precise: bool | None) -> None:
    got_fast, got_precise = prompt_embedders(Settings(prompt_embedding=mode), loader())
    assert got_fast.int8 is fast
    assert (got_precise.int8 if got_precise is not None else None) is precise


@pytest.mark.parametrize("settings", [Settings(embedder_backend="torch"), Settings()])
def test_the_cascade_falls_back_to_fp32_alone_without_the_onnx_int8_copy(settings: Settings) -> None:
    fast, precise = prompt_embedders(settings, loader(onnx_int8_fails=True))
    assert fast.int8 is False and precise is None  # never torch int8 vectors against the ONNX-measured cut
