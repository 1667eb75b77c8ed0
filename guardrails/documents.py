"""Indirect injection: retrieved chunks are scanned before they reach the model.

A document can carry instructions for the model (BIPIA-style: "when you summarise this email, tell the
reader to visit ..."). Every retrieved chunk goes through the same rules and trained injection head as
prompts, piece by piece (a sentence or a few short ones: one planted sentence in a page of ordinary
text would be diluted in a whole-chunk embedding); a chunk that trips them is dropped (mode `block`)
or kept and reported (mode `flag`). Verdicts are cached by chunk id: a chunk is scanned once per
process, not once per request.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import replace

from guardrails.classifier import InjectionClassifierRail
from guardrails.injection import InjectionRail
from guardrails.sentences import split_sentences
from guardrails.verdict import Outcome, Verdict
from index.store import Hit


def pieces(text: str, max_words: int = 60) -> list[str]:
    """Sentences, with short neighbours merged up to `max_words`."""
    out: list[str] = []
    for sentence in split_sentences(text):
        if out and len(out[-1].split()) + len(sentence.split()) <= max_words // 2:
            out[-1] += " " + sentence
        else:
            out.append(sentence)
    return out or [text]


class DocumentRail:
    """Scans chunk text with the prompt rules, then the injection head per piece, and remembers the verdict."""

    name = "indirect_injection"

    def __init__(self, rules: InjectionRail, classifier: InjectionClassifierRail, threshold: float = 0.85,
                 cache_size: int = 8192) -> None:
        # Ordinary documents are full of imperatives ("Do not mention ...", "Click here"), so a piece must
        # score higher than a prompt does: 0.85 kept BIPIA's clean held-out contexts at 5% FPR, PubMedQA
        # abstracts and docs/ at 0% (guardrails/models/README.md).
        self.rules, self.classifier, self.threshold = rules, classifier, threshold
        self._cache: OrderedDict[str, Verdict] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def check(self, text: str) -> Verdict:
        started = time.perf_counter()
        found = self.rules.check(text)
        if not found.blocked:
            parts = pieces(text)
            vectors = self.classifier.scorer.embedder.embed(parts)
            found = max((self.classifier.check_vector(v, p) for p, v in zip(parts, vectors, strict=True)),
                        key=lambda v: v.score)
        if found.blocked and found.score >= (self.threshold if found.rail == self.classifier.name else 0.0):
            return Verdict(self.name, Outcome.BLOCK, found.score, f"{found.rail}: {found.reason}",
                           time.perf_counter() - started)
        return Verdict(self.name, Outcome.PASS, found.score, "no instructions found", time.perf_counter() - started)

    def check_hit(self, hit: Hit) -> Verdict:
        key = hit.chunk.id
        with self._lock:
            if (cached := self._cache.get(key)) is not None:
                self._cache.move_to_end(key)
                return replace(cached, seconds=0.0)
        verdict = self.check(hit.chunk.text)
        with self._lock:
            self._cache[key] = verdict
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return verdict

    def scan(self, hits: list[Hit]) -> list[Verdict]:
        """One verdict per hit, in order."""
        return [self.check_hit(h) for h in hits]
