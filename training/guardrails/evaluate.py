"""Offline evaluation of the input rails on held-out data: `python -m training.guardrails eval`.

The held-out split is the one the training script holds out (same seed, same files), so nothing here
was trained on. Per data set: block rate (TPR on attack sets, FPR on benign ones); overall precision
and a confusion table; latency p50/p95 of the shared prompt embedding and of the rails beyond it; the
document (indirect injection) rail on contexts with and without planted attacks; a ROC plot per
learned class. With a harm encoder (guardrails.harm_encoder) the harmful rail runs the encoder cascade, and
each set also reports how many prompts the encoder read.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from guardrails.base import InputRail
from guardrails.classifier import Head, PromptScorer
from guardrails.documents import DocumentRail
from guardrails.harm_encoder import HarmEncoder
from guardrails.head_rails import HarmfulRail, InjectionClassifierRail
from guardrails.injection import InjectionRail
from guardrails.language import LanguageRail
from guardrails.piece_gate import PieceGate
from guardrails.self_check import uncertain
from index.base import Embedder
from index.build import embed_gated
from training.guardrails.train.data import BENIGN, Split, build


@dataclass
class Tally:
    blocked: int = 0
    n: int = 0
    each: list[bool] = field(default_factory=list)  # blocked, per text in order
    rechecked: int = 0  # cascade: prompts decided on fp32 vectors
    encoder_read: int = 0  # harm encoder cascade: prompts with a piece the encoder read
    self_check_asked: int = 0  # passed every rail, but a learned rail is unsure: the engine self-check would ask
    language_only: int = 0  # blocked by the language rail alone (text the English rails do not read)
    embed_ms: list[float] = field(default_factory=list)
    rails_ms: list[float] = field(default_factory=list)


def _pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 3) if values else 0.0


def _auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """Probability a random positive outscores a random negative (ties count half)."""
    scores = np.concatenate([pos, neg])
    ranks = scores.argsort().argsort() + 1.0
    return float((ranks[:len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def _roc(pos: np.ndarray, neg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    thresholds = np.unique(np.concatenate([pos, neg, [0.0, 1.01]]))[::-1]
    return (np.array([(neg >= t).mean() for t in thresholds]), np.array([(pos >= t).mean() for t in thresholds]))


def per_category(split: Split, blocked: dict[str, list[bool]]) -> dict[str, dict]:
    """Block rate per harm category (attack sets pooled; "benign:<category>" for look-alikes and XSTest types)."""
    groups: dict[str, list[bool]] = {}
    for name, cats in split.categories.items():
        expected = split.heldout[name][1]
        for cat, b in zip(cats, blocked.get(name, []), strict=False):
            key = cat if expected != BENIGN or cat.startswith("benign") else f"benign:{cat}"
            groups.setdefault(key, []).append(b)
    return {k: {"n": len(v), "metric": "FPR" if k.startswith("benign") else "TPR",
                "value": round(sum(v) / len(v), 4)} for k, v in sorted(groups.items())}


def _pr(pos: np.ndarray, neg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(recall, precision) over every threshold, held-out positives against held-out benign prompts."""
    thresholds = np.unique(np.concatenate([pos, neg]))[::-1]
    tp = np.array([(pos >= t).sum() for t in thresholds], dtype=float)
    fp = np.array([(neg >= t).sum() for t in thresholds], dtype=float)
    return tp / max(len(pos), 1), tp / np.maximum(tp + fp, 1)


def evaluate(data: Path, embedder: Embedder, seed: int = 13, documents: int = 60,
             precise: Embedder | None = None, head: Path | None = None,
             harm_encoder: HarmEncoder | None = None, focus_gate: PieceGate | None = None,
             self_check_from: float = 0.5, languages: list[str] | None = None) -> dict:
    """`embedder` embeds prompts; with `precise`, the rails run the int8 -> fp32 cascade (PromptScorer).
    `head` replaces the committed head (to measure an older one on the same split); `harm_encoder` attaches
    the fine-tuned encoder to the harmful rail (the gateway's RAGGUARD_HARM_ENCODER=on), `focus_gate` its focus gate
    (RAGGUARD_FOCUS_GATE=on). Each set's `self_check_asked` counts the prompts the optional engine self-check would
    put to the engine with its band from `self_check_from` (RAGGUARD_SELF_CHECK_INPUT_FROM). `languages` are the
    language rail's (RAGGUARD_INPUT_LANGUAGES; None: no language rail, the English rails read every prompt); each
    set's `language_only` counts the prompts it alone blocked."""
    split = build(data, seed)
    scorer = PromptScorer(embedder, Head.load(head) if head else None, cache_size=0, precise=precise,
                          harm_encoder=harm_encoder, focus_gate=focus_gate)
    rails: list[InputRail] = [InjectionRail(), InjectionClassifierRail(scorer), HarmfulRail(scorer)]
    language = LanguageRail(languages) if languages else None
    tallies: dict[str, Tally] = {}
    learned: dict[str, dict[str, list[float]]] = {"injection": {"pos": [], "neg": []},
                                                  "harmful": {"pos": [], "neg": []}}
    for name, (items, expected) in split.heldout.items():
        tally = tallies[name] = Tally(n=len(items))
        for text in items:
            t0 = time.perf_counter()
            vector = embedder.embed([text])[0]
            t1 = time.perf_counter()
            verdicts = [r.check(text, vector) for r in rails]
            foreign = language is not None and language.check(text).blocked
            t2 = time.perf_counter()
            tally.embed_ms.append((t1 - t0) * 1000)
            tally.rails_ms.append((t2 - t1) * 1000)
            tally.blocked += (hit := foreign or any(v.blocked for v in verdicts))
            tally.language_only += foreign and not any(v.blocked for v in verdicts)
            tally.each.append(hit)
            tally.self_check_asked += uncertain(verdicts, rails, self_check_from)
            scores = scorer.score(text, vector)
            tally.rechecked += scores.rechecked
            tally.encoder_read += bool(scores.encoded and scores.encoded.read)
            probs = dict(scores.probs)
            if scores.encoded is not None:  # the harmful rail's own score: the encoder's (0 below the band)
                probs["harmful"] = scores.encoded.harmful
            for label in learned:
                side = "pos" if expected == label else "neg" if expected == BENIGN else None
                if side:
                    learned[label][side].append(probs[label])

    rows = {}
    for name, tally in tallies.items():
        expected = split.heldout[name][1]
        rows[name] = {"n": tally.n, "expected": expected, "metric": "FPR" if expected == BENIGN else "TPR",
                      "value": round(tally.blocked / tally.n, 4), "rechecked_fp32": tally.rechecked,
                      "harm_encoder_read": tally.encoder_read, "self_check_asked": tally.self_check_asked,
                      "language_only": tally.language_only}
    tp = sum(t.blocked for n, t in tallies.items() if split.heldout[n][1] != BENIGN)
    fn = sum(t.n - t.blocked for n, t in tallies.items() if split.heldout[n][1] != BENIGN)
    fp = sum(t.blocked for n, t in tallies.items() if split.heldout[n][1] == BENIGN)
    tn = sum(t.n - t.blocked for n, t in tallies.items() if split.heldout[n][1] == BENIGN)
    embed_ms = [x for t in tallies.values() for x in t.embed_ms]
    rails_ms = [x for t in tallies.values() for x in t.rails_ms]

    doc_rows = document_rows(data, split, DocumentRail(rails[0], rails[1], gate=PieceGate.load()),  # type: ignore[arg-type]
                             precise or embedder, random.Random(seed), documents)

    return {
        "seed": seed,
        "heldout": rows,
        "per_category": per_category(split, {n: t.each for n, t in tallies.items()}),
        "thresholds": {**scorer.head.thresholds,
                       **({"harmful": harm_encoder.threshold, "harm_encoder_band": harm_encoder.band}
                          if harm_encoder is not None else {})},
        "overall": {"precision": round(tp / max(tp + fp, 1), 4), "recall": round(tp / max(tp + fn, 1), 4),
                    "confusion": {"attack_blocked": tp, "attack_passed": fn,
                                  "benign_blocked": fp, "benign_passed": tn}},
        "latency_ms": {"embedding_p50": _pct(embed_ms, 50), "embedding_p95": _pct(embed_ms, 95),
                       "rails_beyond_embedding_p50": _pct(rails_ms, 50),
                       "rails_beyond_embedding_p95": _pct(rails_ms, 95)},
        "auroc": {label: round(_auc(np.array(s["pos"]), np.array(s["neg"])), 4) for label, s in learned.items()},
        "documents": doc_rows,
        "_roc": {label: [list(map(float, c)) for c in _roc(np.array(s["pos"]), np.array(s["neg"]))]
                 for label, s in learned.items()},
        "_pr": {label: [list(map(float, c)) for c in _pr(np.array(s["pos"]), np.array(s["neg"]))]
                for label, s in learned.items()},
        "_scores": learned,
    }


def document_rows(data: Path, split: Split, rail: DocumentRail, states: Embedder, rng: random.Random,
                  documents: int = 60) -> dict:
    """The document rail on held-out documents, twice: as the gateway scans a chunk at request time (`value`)
    and as `index build` scans it, the gate clearing pieces from the fp32 pass's states (`value_indexed`)."""
    pubmed = [" ".join(v["CONTEXTS"]) for v in
              json.loads((data / "retrieval/pubmedqa/ori_pqal.json").read_text()).values()]
    doc_sets = {"bipia_attacks_in_context": (split.heldout["bipia_attacks_in_context"][0], "TPR"),
                "bipia_contexts_clean": (split.heldout["bipia_contexts_clean"][0], "FPR"),
                "pubmedqa_abstracts": (rng.sample(pubmed, documents), "FPR")}
    gate = rail.gate if rail.gate is not None and rail.gate.reads(states) else None
    rows = {}
    for name, (items, metric) in doc_sets.items():
        verdicts = [rail.check(t) for t in items]
        rows[name] = {"n": len(items), "metric": metric,
                      "value": round(sum(v.blocked for v in verdicts) / len(items), 4),
                      "p50_ms": _pct([v.seconds * 1000 for v in verdicts], 50)}
        if gate is not None:
            cleared = embed_gated(states, items, gate)[1]
            indexed = rail.check_many([("", t) for t in items], cleared)
            pieces = sum(len(gate.spans(t)) for t in items)
            rows[name] |= {"value_indexed": round(sum(v.blocked for v in indexed) / len(items), 4),
                           "pieces_cleared": round(sum(map(len, cleared)) / max(pieces, 1), 4)}
    return rows


def plot_roc(report: dict, path: Path) -> None:
    """ROC and precision-recall per learned class, the operating threshold of each marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (roc, pr) = plt.subplots(1, 2, figsize=(9, 4.2))
    for label, (fpr, tpr) in report["_roc"].items():
        line = roc.plot(fpr, tpr, label=f"{label} (AUROC {report['auroc'][label]:.3f})")[0]
        recall, precision = report["_pr"][label]
        pr.plot(recall, precision, color=line.get_color(), label=label)
        t = report["thresholds"].get(label)
        s = report["_scores"][label]
        if t is not None and s["pos"] and s["neg"]:
            pos, neg = np.array(s["pos"]), np.array(s["neg"])
            tp, fp = (pos >= t).sum(), (neg >= t).sum()
            roc.plot([fp / len(neg)], [tp / len(pos)], "o", color=line.get_color())
            pr.plot([tp / len(pos)], [tp / max(tp + fp, 1)], "o", color=line.get_color())
            pr.annotate(f"t={t:.2f}", (tp / len(pos), tp / max(tp + fp, 1)), fontsize=8,
                        xytext=(4, -10), textcoords="offset points")
    roc.plot([0, 1], [0, 1], ls=":", color="grey")
    roc.set_xlabel("false positive rate (held-out benign sets)")
    roc.set_ylabel("true positive rate (held-out attack sets)")
    roc.set_xscale("symlog", linthresh=0.01)
    roc.set_title("ROC, held-out split (dot: threshold)")
    roc.legend(loc="lower right", fontsize=8)
    pr.set_xlabel("recall")
    pr.set_ylabel("precision")
    pr.set_title("precision-recall, held-out split")
    pr.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
