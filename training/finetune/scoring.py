"""How an answer is read: its citations, whether it declines, whether it recites the gateway's prompt."""

from __future__ import annotations

import re

from service.prompt import INSTRUCTIONS

CITATION = re.compile(r"\[(\d+)\]")
REFUSED = re.compile(r"do not know|don't know|not in the sources|sources do not|cannot answer|can't answer", re.I)
FIRST_SENTENCE = re.compile(r"^.*?(?:[.!?](?:\s|$)|$)", re.S)
DECISIONS = ("yes", "no", "maybe")


def first_decision(answer: str) -> str:
    found = [w for w in re.findall(r"[a-z]+", answer.lower()) if w in DECISIONS]
    return found[0] if found else ""


def is_refusal(answer: str) -> bool:
    """The answer's first sentence declines; an echo of our instructions (which mention "do not know") is not."""
    head = FIRST_SENTENCE.match(answer.strip())
    text = head.group(0) if head else ""
    return not text.startswith(INSTRUCTIONS[:30]) and bool(REFUSED.search(text))


def echoes_prompt(answer: str) -> bool:
    """The base model often recites our instructions and the numbered sources instead of answering."""
    return INSTRUCTIONS[:30] in answer or "Sources:" in answer
