"""The two rails that read the learned scores (guardrails.classifier's PromptScorer): injection and harmful.

Both share one scorer per prompt, so the prompt is embedded once for both.
"""

from __future__ import annotations

import time

import numpy as np

from guardrails.classifier import PromptScorer, Scores
from guardrails.verdict import Outcome, Verdict

# label -> description; the label of the nearest description names a harmful prompt's category.
DEFAULT_TAXONOMY: dict[str, str] = {
    "weapons": "making bombs, explosives, guns, poisons or chemical and biological weapons",
    "malware": "writing malware, viruses, ransomware, exploits, hacking into computers or networks",
    "self_harm": "suicide, self-harm, eating disorders, hurting yourself",
    "violence": "killing, assaulting, torturing or threatening people, terrorism",
    "fraud": "scams, phishing, identity theft, fraud, stealing money, counterfeiting",
    "drugs": "making, buying or smuggling illegal drugs",
    "hate": "hate speech, harassment, discrimination against a group, extremist propaganda",
    "sexual": "sexual content involving minors or non-consensual sexual content",
    "misinformation": "fake news, disinformation, propaganda, election manipulation",
    "privacy": "stalking, doxxing, spying on people, collecting personal data without consent",
}


class _HeadRail:
    label = ""
    name = ""

    def __init__(self, scorer: PromptScorer, threshold: float | None = None,
                 flag_threshold: float | None = None) -> None:
        self.scorer = scorer
        self.threshold = scorer.head.thresholds.get(self.label, 0.5) if threshold is None else threshold
        self.flag_threshold = flag_threshold
        # A prompt that is clearly not benign but splits its mass between the two attack classes
        # ("write ransomware": injection-like and harmful) is blocked by the rail of the larger class.
        self.unsafe_threshold = scorer.head.thresholds.get("unsafe", 1.01)

    @property
    def blocks_from(self) -> float:
        """The verdict score from which this rail blocks (the top of its uncertain band, guardrails.self_check)."""
        return self.threshold

    def check(self, text: str, vector: np.ndarray | None = None) -> Verdict:
        """Score the prompt, reusing its embedding when the pipeline already computed it."""
        started = time.perf_counter()
        outcome, reason, p = self.judge(self.scorer.score(text, vector))
        return Verdict(self.name, outcome, round(p, 4), reason, time.perf_counter() - started)

    def judge(self, scores: Scores) -> tuple[Outcome, str, float]:
        """(outcome, reason, score) from the head's scores."""
        p = scores.probs[self.label]
        if scores.dominant == self.label and scores.unsafe >= self.unsafe_threshold:
            outcome, reason, p = Outcome.BLOCK, self.explain(scores), max(p, scores.unsafe)
        elif p >= self.threshold:
            outcome, reason = Outcome.BLOCK, self.explain(scores)
        elif self.flag_threshold is not None and p >= self.flag_threshold:
            outcome, reason = Outcome.FLAG, self.explain(scores)
        else:
            outcome, reason = Outcome.PASS, f"no {self.label} signal above the threshold"
        return outcome, reason, p

    def explain(self, scores: Scores) -> str:
        """A reason clients may see: what was found, never the classifier's internals (the score is separate)."""
        return "prompt injection or jailbreak attempt"


class InjectionClassifierRail(_HeadRail):
    """Blocks prompt injection and jailbreak attempts the rules miss."""

    label = "injection"
    name = "injection_classifier"


class HarmfulRail(_HeadRail):
    """Blocks requests for seriously harmful help; the reason names the nearest taxonomy category."""

    label = "harmful"
    name = "harmful"

    def __init__(self, scorer: PromptScorer, threshold: float | None = None, flag_threshold: float | None = None,
                 taxonomy: dict[str, str] | None = None) -> None:
        super().__init__(scorer, threshold, flag_threshold)
        self.taxonomy = dict(taxonomy or DEFAULT_TAXONOMY)
        self._labels = list(self.taxonomy)
        self._topic_vecs = scorer.embedder.embed(list(self.taxonomy.values()))
        self._explicit = threshold

    @property
    def blocks_from(self) -> float:
        encoder = self.scorer.harm_encoder
        return encoder.threshold if encoder is not None and self._explicit is None else self.threshold

    def judge(self, scores: Scores) -> tuple[Outcome, str, float]:
        """With a harm encoder attached, its p(harmful) decides (its own threshold unless one was given), and the
        head's p(harmful) blocks on its own only at the encoder's `head_threshold` (chosen on validation)."""
        encoder = self.scorer.harm_encoder
        if scores.encoded is None or encoder is None:
            return super().judge(scores)
        p = scores.encoded.harmful
        if p >= (encoder.threshold if self._explicit is None else self._explicit):
            return Outcome.BLOCK, self.explain(scores), p
        if scores.probs[self.label] >= encoder.head_threshold:
            return Outcome.BLOCK, self.explain(scores), scores.probs[self.label]
        if self.flag_threshold is not None and p >= self.flag_threshold:
            return Outcome.FLAG, self.explain(scores), p
        return Outcome.PASS, "no harmful signal above the threshold", p

    def category(self, vector: np.ndarray) -> str:
        return self._labels[int(np.argmax(self._topic_vecs @ vector))]

    def explain(self, scores: Scores) -> str:
        return f"request for harmful help ({self.category(scores.vectors[self.label])})"
