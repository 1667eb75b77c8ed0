"""The engine's answer as it arrives: text, finish reason, usage, and the sentences finished so far. Characters that
carry text no reader sees (Unicode tag characters, supplementary variation selectors) are dropped on arrival.

Both roads through generation use it: a stream (parts passed on to the client) and a non-streaming answer
read from the engine as a stream, so each finished sentence is fact-checked while the engine writes on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from guardrails.normalize import visible
from guardrails.policy import PolicyDecision
from guardrails.sentences import SentenceStream, split_sentences
from guardrails.verdict import GroundingResult


@dataclass
class Answer:
    text: str = ""
    finish: str = "stop"
    usage: dict[str, Any] | None = None
    checked: GroundingResult = field(default_factory=GroundingResult)  # verdicts of the sentences so far
    rewrites: list[tuple[str, str]] = field(default_factory=list)  # (sentence as written, as checked): links out
    _splitter: SentenceStream = field(default_factory=SentenceStream)

    def whole(self, body: dict[str, Any]) -> list[str]:
        """Take a non-streaming engine response body as the whole answer; all its sentences."""
        choice = body["choices"][0]
        self.text = visible((choice.get("message") or {}).get("content") or "")
        self.finish, self.usage = choice.get("finish_reason") or "stop", body.get("usage")
        return split_sentences(self.text)

    def feed(self, part: dict[str, Any]) -> tuple[str, list[str]]:
        """One engine stream part -> (the text it carries, the sentences it finished)."""
        self.usage = part.get("usage") or self.usage
        text = ""
        for choice in part.get("choices") or []:
            self.finish = choice.get("finish_reason") or self.finish
            text += visible((choice.get("delta") or {}).get("content") or "")
        self.text += text
        return text, self._splitter.feed(text) if text else []

    def flush(self) -> list[str]:
        """The last sentence, once the engine is done (it may end without a boundary)."""
        return self._splitter.flush()

    def content(self, decision: PolicyDecision, refusal: str) -> tuple[str, str]:
        """(message content, finish reason) of the answer under the policy's decision."""
        if decision.refused:
            return refusal, "content_filter"
        if all(decision.kept):  # as written, line breaks and all, but for the sentences the check rewrote
            text = self.text
            for written, checked in self.rewrites:
                text = text.replace(written, checked, 1)
            return text.strip(), self.finish
        return " ".join(s.text for s, k in zip(self.checked.sentences, decision.kept, strict=True) if k and s.text), \
            self.finish
