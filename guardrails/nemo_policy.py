"""ragguard's rails as NeMo Guardrails actions, and a NeMo config applied as the gateway's input policy.

`NemoInputRail` loads a NeMo config (e.g. guardrails/nemo/), registers one action per ragguard rail
(`ragguard_language`, `ragguard_injection`, `ragguard_injection_classifier`, `ragguard_harmful`, `ragguard_topic`
when topics are configured), and runs the config's input rails on the prompt. Our actions record the
verdicts they reach, so a block names our rail and reason. A rail turned off (RAGGUARD_RAIL_MODES; counted as a
bypass by the gateway) is an action that allows: NeMo blocks every prompt whose flow calls an action it lacks.
Telemetry stays off (NEMO_GUARDRAILS_NO_USAGE_STATS=1 is set here before NeMo is imported).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from pathlib import Path

import numpy as np

from guardrails.base import InputRail
from guardrails.verdict import Outcome, Verdict

DEFAULT_CONFIG = Path(__file__).resolve().parent / "nemo"
_seen: ContextVar[list[Verdict]] = ContextVar("ragguard_nemo_verdicts")
_vector: ContextVar[np.ndarray | None] = ContextVar("ragguard_nemo_vector", default=None)


def _action(rail: InputRail) -> Callable:
    """A NeMo action over one of our rails; it reuses the prompt's shared embedding when it has one."""
    async def action(context: dict | None = None) -> bool:
        text = (context or {}).get("user_message") or ""
        verdict = rail.check(text, _vector.get())
        _seen.get().append(verdict)
        return not verdict.blocked
    return action


async def _allow(context: dict | None = None) -> bool:
    """The action of a rail that is off."""
    return True


class NemoInputRail:
    """Runs a NeMo Guardrails config's input rails, whose flows call our rails as actions."""

    name = "nemo"

    def __init__(self, config_dir: Path, actions: dict[str, InputRail], engine_url: str | None = None,
                 off: Sequence[str] = ()) -> None:
        os.environ.setdefault("NEMO_GUARDRAILS_NO_USAGE_STATS", "1")
        from nemoguardrails import LLMRails, RailsConfig

        config = RailsConfig.from_path(str(config_dir))
        if engine_url:
            for model in config.models:
                model.parameters["base_url"] = engine_url.rstrip("/") + "/v1"
        self.rails = LLMRails(config)
        for name, rail in actions.items():
            self.rails.register_action(_action(rail), name=f"ragguard_{name}")
        for name in off:
            self.rails.register_action(_allow, name=f"ragguard_{name}")

    def check(self, text: str, vector: np.ndarray | None = None) -> Verdict:
        """Sync, for the pipeline's worker thread: a private event loop per call."""
        from nemoguardrails.rails.llm.options import RailStatus, RailType

        started = time.perf_counter()
        seen: list[Verdict] = []
        tokens = _seen.set(seen), _vector.set(vector)
        try:
            result = asyncio.run(self.rails.check_async([{"role": "user", "content": text}],
                                                        rail_types=[RailType.INPUT]))
        finally:
            _seen.reset(tokens[0])
            _vector.reset(tokens[1])
        if result.status == RailStatus.BLOCKED:
            ours = next((v for v in seen if v.blocked), None)
            reason = f"{ours.rail}: {ours.reason}" if ours else f"NeMo rail {result.rail!r} blocked"
            return Verdict(self.name, Outcome.BLOCK, ours.score if ours else 1.0, reason,
                           time.perf_counter() - started)
        return Verdict(self.name, Outcome.PASS, max((v.score for v in seen), default=0.0),
                       f"NeMo input rails passed ({', '.join(v.rail for v in seen)})", time.perf_counter() - started)
