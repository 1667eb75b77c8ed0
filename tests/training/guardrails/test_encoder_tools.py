"""The fine-tuning scripts' shared loop: checkpoints every N steps, and a resumed run ends where a straight one does."""

from __future__ import annotations

from pathlib import Path

import torch

from training.guardrails.train.encoder_tools import optimizer_and_schedule, prepare, run_steps


def _run(work: Path, total: int | None, resume: bool) -> tuple[torch.nn.Module, float, list[float]]:
    prepare(1, 0, "cpu", work)
    model = torch.nn.Linear(4, 2)
    optimizer, schedule = optimizer_and_schedule(model, 1e-2, 0.1, 6)
    gen = torch.Generator().manual_seed(1)
    batches = [(torch.randn(8, 4, generator=gen), torch.randint(0, 2, (8,), generator=gen)) for _ in range(6)]

    def loss_of(batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        return torch.nn.functional.cross_entropy(model(batch[0]), batch[1])

    seconds, losses = run_steps(model, optimizer, schedule, batches, loss_of, work / "checkpoint.pt", resume, total,
                                checkpoint_every=2)
    return model, seconds, losses


def test_a_stopped_and_resumed_run_ends_with_the_weights_of_a_straight_run(tmp_path: Path) -> None:
    torch.manual_seed(0)
    straight, _, losses = _run(tmp_path / "a", None, resume=False)
    assert len(losses) == 6
    torch.manual_seed(0)
    _run(tmp_path / "b", 3, resume=False)  # stops after step 3 (a checkpoint at 2 and the final one at 3)
    assert torch.load(tmp_path / "b" / "checkpoint.pt", weights_only=False)["step"] == 3
    resumed, seconds, losses = _run(tmp_path / "b", None, resume=True)
    assert len(losses) == 3 and seconds > 0
    for a, b in zip(straight.state_dict().values(), resumed.state_dict().values(), strict=True):
        assert torch.allclose(a, b, atol=1e-6)
