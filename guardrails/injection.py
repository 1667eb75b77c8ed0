"""Fast rules for obvious prompt injection and jailbreak attempts (deepened by a trained rail later)."""

from __future__ import annotations

import time

import re2

from guardrails.normalize import unhidden, views
from guardrails.verdict import Outcome, Verdict

# Each rule: (name, pattern). Kept narrow so ordinary questions ("how do I ignore a file in git?") pass.
# RE2: linear in the prompt's length whatever a client sends (the lazy gaps below cost Python's `re` up to
# gap x gap steps per candidate word).
RULES: tuple[tuple[str, re2._Regexp], ...] = tuple(
    (name, re2.compile("(?i)" + pattern))
    for name, pattern in (
        ("ignore_instructions",
         r"\b(ignore|disregard|forget|override|bypass|skip)\b[\w\s,'-]{0,40}?\b(all\s+)?(previous|prior|above|"
         r"earlier|preceding|your|the|system|initial|original)\b[\w\s'-]{0,30}?\b(instructions?|prompts?|rules?|"
         r"directives?|guidelines?|context|programming)\b"),
        ("reveal_prompt",
         r"\b(print|reveal|show|repeat|output|leak|display|tell me|give me|what (is|are))\b[\w\s,'-]{0,40}?"
         r"\b(system|hidden|initial|secret|original)\s+(prompt|instructions?|message|rules)\b"),
        ("role_override",
         r"\b(you are now|from now on,? you|act as|pretend (to be|you are)|roleplay as)\b[\w\s,'-]{0,60}?"
         r"\b(dan|jailbroken|unfiltered|uncensored|without (any )?(restrictions|rules|limits|filters)|"
         r"no (restrictions|rules|limits|filters))\b"),
        ("jailbreak_name", r"\b(DAN mode|do anything now|developer mode (enabled|on)|jailbreak(ed)? mode)\b"),
        ("fake_system", r"(^|\n)\s*(\[|<\|?|#+\s*)(system|SYSTEM)(\]|\|?>|:)"),
        ("new_instructions", r"\b(new|updated|real)\s+instructions?\s*:"),
    )
)


class InjectionRail:
    """Blocks prompts that match a known injection/jailbreak rule."""

    name = "injection"

    def check(self, text: str, vector: object = None) -> Verdict:
        """Rules read the text as shown (NFKC, invisible characters dropped) and each of its views (look-alike
        letters folded, markup revealed, payloads decoded: guardrails.normalize); `vector` is accepted as every input
        rail takes it."""
        started = time.perf_counter()
        for clean in dict.fromkeys((unhidden(text), *views(text))):
            for rule, pattern in RULES:
                if pattern.search(clean):
                    return Verdict(self.name, Outcome.BLOCK, 1.0, f"matched rule {rule!r}",
                                   time.perf_counter() - started)
        return Verdict(self.name, Outcome.PASS, 0.0, "no rule matched", time.perf_counter() - started)
