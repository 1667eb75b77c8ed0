"""Head fitting: a composed head scores exactly as its two experts combined; thresholds bind per source."""

from __future__ import annotations

import numpy as np

from training.guardrails.train.fit import choose_thresholds, compose, composed_probs, out_of_fold, refit

CLASSES = ("benign", "injection", "harmful")


def _data(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, 300)
    x = rng.normal(size=(300, 16)).astype(np.float32) + np.eye(16, dtype=np.float32)[y] * 3
    return x, y


def test_composed_head_keeps_each_experts_odds() -> None:
    x, y = _data(0)
    w = np.ones(len(y))
    a = refit({"hidden": 8, "alpha": 1e-3}, x, y, w, seed=1)
    b = refit({"hidden": 12, "alpha": 1e-3}, x, y, w, seed=2)
    head = compose(a, b)
    p = head.probs(x)
    np.testing.assert_allclose(p, composed_probs(a.probs(x), b.probs(x)), atol=1e-5)
    np.testing.assert_allclose(np.log(p[:, 1] / p[:, 0]), np.log(a.probs(x)[:, 1] / a.probs(x)[:, 0]), atol=1e-3)
    np.testing.assert_allclose(np.log(p[:, 2] / p[:, 0]), np.log(b.probs(x)[:, 2] / b.probs(x)[:, 0]), atol=1e-3)


def test_out_of_fold_scores_every_text_and_thresholds_hold_per_source() -> None:
    x, y = _data(3)
    p = out_of_fold({"hidden": 8, "alpha": 1e-3}, x, y, np.ones(len(y)), seed=1, folds=3)
    assert p.shape == (len(y), 3) and np.allclose(p.sum(axis=1), 1, atol=1e-4)
    sources = np.where(np.arange(len(y)) % 2, "a", "b")
    t = choose_thresholds(p, y, CLASSES, 0.05, sources, cap=0.99)
    for src in ("a", "b"):
        benign = (y == 0) & (sources == src)
        assert (p[benign, 2] >= t["harmful"]).mean() <= 0.05 or t["harmful"] == 0.99
