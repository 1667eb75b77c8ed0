"""The LoRA adapter served beside the base by each real engine, each asked by `model` through the gateway."""

from __future__ import annotations

import httpx
import pytest
from openai import OpenAI

from engines.artifacts import Artifacts
from models import MODELS_DIR
from service.settings import Settings
from tests.conftest import MODEL
from tests.e2e.road import QUESTION

ADAPTER = "gemma-3-270m-ragguard"
ADAPTER_DIR = MODELS_DIR / "adapters" / ADAPTER


def answers_by_model(base: str, max_tokens: int) -> dict[str, str]:
    """Both models are listed, and each answers the same question (greedy) under its own name."""
    client = OpenAI(base_url=f"{base}/v1", api_key="unused", max_retries=0, timeout=300)
    assert {MODEL, ADAPTER} <= {m.id for m in client.models.list().data}
    answers = {}
    for model in (MODEL, ADAPTER):
        resp = client.chat.completions.create(model=model, max_tokens=max_tokens, temperature=0, seed=0,
                                              messages=[{"role": "user", "content": QUESTION}])
        assert resp.model == model
        assert resp.choices[0].message.content and (resp.model_extra or {})["citations"]
        answers[model] = resp.choices[0].message.content
    return answers


@pytest.mark.llama
def test_llama_serves_base_and_adapter(llama_engine: str, gateway_process) -> None:  # type: ignore[no-untyped-def]
    loaded = httpx.get(f"{llama_engine}/lora-adapters").json()
    shipped = Artifacts(Settings().cache_dir).adapter_gguf(ADAPTER, ADAPTER_DIR / "adapter_model.safetensors")
    assert [a["path"].rsplit("/", 1)[-1] for a in loaded] == [shipped.name]  # the shipped weights' conversion
    answers = answers_by_model(gateway_process(llama_engine), max_tokens=48)
    assert answers[MODEL] != answers[ADAPTER]  # the adapter really was applied to its requests


@pytest.mark.vllm
def test_vllm_serves_base_and_adapter(vllm_engine: str, gateway_process) -> None:  # type: ignore[no-untyped-def]
    assert ADAPTER in [m["id"] for m in httpx.get(f"{vllm_engine}/v1/models").json()["data"]]
    answers = answers_by_model(gateway_process(vllm_engine), max_tokens=24)
    assert answers[MODEL] != answers[ADAPTER]
