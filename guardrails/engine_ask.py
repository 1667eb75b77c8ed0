"""What the rails that ask the engine (self-check input, LLM judge) share: quoting, and reading the answer.

Text put inside such a prompt is quoted data, never instructions.
A request, an answer sentence or a retrieved passage is written between the markers `<<<` and `>>>`; the markers
inside it are defused first, so it cannot close its quote and write instructions (or a verdict) after it. Over
`max_chars`, its start and its end are kept (an attack is as likely at either end), so one text costs the engine
a bounded prompt.
"""

from __future__ import annotations

import re

OPEN, CLOSE = "<<<", ">>>"
_WORD = re.compile(r"[a-z]+")


def quoted(text: str, max_chars: int) -> str:
    """`text` with its markers defused, whole up to `max_chars`, else its first and last halves around a note."""
    text = text.replace(OPEN, "< < <").replace(CLOSE, "> > >")
    if len(text) <= max_chars:
        return text
    half = max_chars // 2
    return f"{text[:half]}\n[... {len(text) - 2 * half} characters left out ...]\n{text[-half:]}"


def block(text: str, max_chars: int) -> str:
    """The quote as a prompt writes it: markers on their own lines around the defused, bounded text."""
    return f"{OPEN}\n{quoted(text, max_chars)}\n{CLOSE}"


def first_word(answer: str) -> str:
    """The answer's first word, lower case ("" when it has none): what a yes/no check reads."""
    word = _WORD.search(answer.lower())
    return word.group(0) if word else ""
