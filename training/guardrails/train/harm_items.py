"""What the harmful-request data is made of: an item with the unit it was split by, de-duplication, and the
seeded cut every part of the split uses (harm_data, harm_short)."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

BENIGN, HARMFUL = "benign", "harmful"
HELD = 0.3


@dataclass(frozen=True)
class Item:
    text: str
    label: str  # benign | harmful
    source: str  # advbench, strongreject, pyrit, airt, xstest, generated, lookalike, ...
    category: str
    base: str  # the source prompt or generated action it came from: never on both sides of the split
    template: str = ""  # request / rewording template name ("" for a source prompt as written)


def norm_key(text: str) -> str:
    """Lower case, letters and digits only: exact duplicates up to case, spacing and punctuation."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def near_duplicates(queries: list[str], corpus: list[str], threshold: float = 0.8) -> np.ndarray:
    """Mask over `queries`: True where some corpus text has TF-IDF (words, bigrams) cosine >= threshold."""
    if not queries or not corpus:
        return np.zeros(len(queries), dtype=bool)
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit([norm_key(t) for t in queries + corpus])
    q, c = vec.transform([norm_key(t) for t in queries]), vec.transform([norm_key(t) for t in corpus])
    return np.asarray((q @ c.T).max(axis=1).toarray()).ravel() >= threshold


def apart(items: list[Item], corpus: list[str], threshold: float = 0.8) -> list[Item]:
    """The items whose text is not a near copy (`near_duplicates`) of any corpus text, in order."""
    near = near_duplicates([it.text for it in items], corpus, threshold)
    return [it for it, dup in zip(items, near, strict=True) if not dup]


def dedupe(items: list[Item], threshold: float = 0.8) -> list[Item]:
    """First of every group of exact or near duplicates, in order."""
    first: dict[str, Item] = {}
    for it in items:
        first.setdefault(norm_key(it.text), it)
    kept = list(first.values())
    if len(kept) < 2:
        return kept
    m = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit_transform([norm_key(it.text) for it in kept])
    keep = np.ones(len(kept), dtype=bool)
    for lo in range(0, len(kept), 512):
        sims = (m[lo:lo + 512] @ m.T).toarray()
        for r in range(sims.shape[0]):
            i = lo + r
            keep[i] = not (sims[r, :i][keep[:i]] >= threshold).any()
    return [it for it, k in zip(kept, keep, strict=True) if k]


def cut(items: list, rng: random.Random, held: float = HELD) -> tuple[list, list]:
    items = list(items)
    rng.shuffle(items)
    k = max(1, round(len(items) * held))
    return items[k:], items[:k]
