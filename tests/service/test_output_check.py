"""The output stage: a rail that raises fails closed (logged and counted); no free CPU worker is 503 overloaded."""

from __future__ import annotations

import logging
import time

import anyio
import pytest
from prometheus_client import CollectorRegistry

from guardrails.verdict import GroundingResult
from index.base import Hit
from service.errors import Overloaded, RailFailed
from service.metrics import Metrics
from service.pipeline.clock import Clock
from service.pipeline.output import OutputCheck
from service.settings import Settings
from service.trace import Trace
from service.work import CpuSlots


class _Rail:
    name = "grounding"

    def check(self, sentences: list[str], hits: list[Hit]) -> GroundingResult:
        raise ValueError("the model file is broken")


def _stage(slots: CpuSlots) -> OutputCheck:
    metrics = Metrics.create(CollectorRegistry())
    return OutputCheck(Settings(dev_mode=True), metrics, _Rail(), slots, Clock(metrics))


async def test_a_failing_rail_withholds_the_answer_and_logs_why(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING), pytest.raises(RailFailed):
        await _stage(CpuSlots(1, wait_s=1.0)).check(["Paris is in France."], [], Trace())
    assert "ValueError: the model file is broken" in caplog.text


async def test_no_free_worker_is_overloaded_not_a_rail_failure() -> None:
    slots = CpuSlots(1, wait_s=0.05)
    async with anyio.create_task_group() as tg:
        tg.start_soon(slots.run, time.sleep, 0.4)  # holds the only worker
        await anyio.sleep(0.02)
        with pytest.raises(Overloaded):
            await _stage(slots).check(["Paris is in France."], [], Trace())
