"""End to end against real vLLM (the CPU build of the production engine)."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e import road

pytestmark = pytest.mark.vllm


def vllm_requests(engine: str) -> float:
    text = httpx.get(f"{engine}/metrics").text
    return sum(float(line.split()[-1]) for line in text.splitlines()
               if line.startswith("vllm:prompt_tokens_total"))


def test_vllm_road(vllm_engine: str, gateway_process) -> None:  # type: ignore[no-untyped-def]
    base = gateway_process(vllm_engine)
    assert httpx.get(f"{base}/readyz").status_code == 200
    road.check_chat(base, max_tokens=24)
    road.check_stream(base, max_tokens=24)
    road.check_injection_never_reaches_engine(base, lambda: vllm_requests(vllm_engine))
