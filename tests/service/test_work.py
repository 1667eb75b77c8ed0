"""CPU slots: the wait for a slot is not rail time, waiting too long is 503, a timed-out job keeps its slot, and a
job that never started gives it back."""

import time

import anyio
import pytest

from service.errors import Overloaded
from service.work import Budget, CpuSlots


async def test_waiting_for_a_slot_does_not_spend_the_rail_budget() -> None:
    slots = CpuSlots(1, wait_s=5.0)
    async with anyio.create_task_group() as tg:
        tg.start_soon(slots.run, time.sleep, 0.4)  # holds the only slot for 0.4 s
        await anyio.sleep(0.05)
        budget = Budget(0.2)  # shorter than the wait: only the work itself counts
        assert await slots.run(lambda: "done", budget=budget) == "done"
    assert budget.spent < 0.2


async def test_a_slot_not_free_in_time_is_overloaded_with_retry_after() -> None:
    slots = CpuSlots(1, wait_s=0.1)
    async with anyio.create_task_group() as tg:
        tg.start_soon(slots.run, time.sleep, 0.5)
        await anyio.sleep(0.05)
        with pytest.raises(Overloaded) as caught:
            await slots.run(lambda: None)
    assert caught.value.status_code == 503 and caught.value.headers["Retry-After"] == "1"


async def test_a_timed_out_job_keeps_its_slot_until_its_thread_ends() -> None:
    slots = CpuSlots(1, wait_s=0.1)
    with pytest.raises(TimeoutError):
        await slots.run(time.sleep, 0.6, budget=Budget(0.05))  # the caller gives up; the thread runs on
    assert slots.busy == 1
    with pytest.raises(Overloaded):  # no second job on the same core while the first still burns it
        await slots.run(lambda: None)
    await anyio.sleep(0.7)
    assert slots.busy == 0 and await slots.run(lambda: 42) == 42


async def test_one_budget_is_shared_by_a_requests_rails() -> None:
    slots, budget = CpuSlots(2, wait_s=1.0), Budget(0.3)
    await slots.run(time.sleep, 0.2, budget=budget)
    with pytest.raises(TimeoutError):  # 0.1 s left, not a fresh 0.3 s
        await slots.run(time.sleep, 0.25, budget=budget)


async def test_a_job_whose_budget_is_spent_before_it_starts_gives_its_slot_back() -> None:
    slots, ran = CpuSlots(1, wait_s=0.2), []
    for _ in range(3):  # each would have kept the only slot for good
        with pytest.raises(TimeoutError):
            await slots.run(ran.append, 1, budget=Budget(0.0))
    await anyio.sleep(0.05)
    assert slots.busy == 0 and ran == []  # never ran, and nothing was lost
    assert await slots.run(lambda: 42) == 42

