"""The input rails over one prompt, in order, as one piece of work (run in one worker thread).

Each rail is ~0.1 ms of work on the prompt's shared vector; handing each its own thread cost ~1 ms a rail
(measured on the chat road), so the pipeline runs the whole chain in one worker call. Results are appended
to `ran` as they come, so a caller that stops waiting (a timeout) still knows which rails finished.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from guardrails.base import InputRail
from guardrails.head_rails import HarmfulRail, InjectionClassifierRail
from guardrails.injection import InjectionRail
from guardrails.language import LanguageRail
from guardrails.verdict import Outcome, Verdict
from guardrails.windows import PromptTooLong

Ran = list[tuple[str, Verdict | Exception]]
# Past this many characters a prompt is longer than the one window the learned rails score whole (128 tokens; prose
# runs ~4.5 characters a token): they cut it into windows and never read the prompt's whole vector.
WHOLE_VECTOR_CHARS = 1024


def wants_vector(rails: Sequence[InputRail], text: str) -> bool:
    """Whether the chain should get the prompt's whole vector up front. The rules never read it, and the learned
    rails only for a text they score whole, so a long prompt's rails start at once and its vector is made beside
    them (retrieval's query) or not at all (a long conversation, whose question is its last turn). Only a cost
    question: a rail given None embeds what it needs itself. Any other rail (topics, a NeMo config) gets it."""
    plain = (LanguageRail, InjectionRail, InjectionClassifierRail, HarmfulRail)
    return len(text) <= WHOLE_VECTOR_CHARS or any(not isinstance(r, plain) for r in rails)


def run_chain(rails: Sequence[InputRail], text: str, vector: np.ndarray | None, modes: Mapping[str, str],
              stop_on_block: bool, keep_going_on_error: bool, ran: Ran) -> None:
    """Each rail's verdict (or exception) into `ran`, in order. A rail that can use the prompt's embedding
    gets the shared vector; a rail in `flag` mode reports a block without enforcing it.
    Stops after a block (with `stop_on_block`) and after an error (unless `keep_going_on_error`); a prompt too
    long to check (PromptTooLong) is raised to the caller."""
    for rail in rails:
        try:
            verdict = rail.check(text, vector)
        except PromptTooLong:
            raise  # the client's text is too long to check: refused, not a rail failure
        except Exception as exc:  # noqa: BLE001 - the caller's fail policy decides
            ran.append((rail.name, exc))
            if not keep_going_on_error:
                return
            continue
        verdict = in_mode(verdict, modes.get(rail.name))
        ran.append((rail.name, verdict))
        if verdict.blocked and stop_on_block:
            return


def in_mode(verdict: Verdict, mode: str | None) -> Verdict:
    """A block by a rail in `flag` mode (RAGGUARD_RAIL_MODES) is reported as a flag, not enforced."""
    if verdict.blocked and mode == "flag":
        return Verdict(verdict.rail, Outcome.FLAG, verdict.score, f"{verdict.reason} (flag mode)", verdict.seconds)
    return verdict
