"""Fit the softmax head (scikit-learn, training only) and pick per-class thresholds on validation."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier


@dataclass
class Fitted:
    """Head parameters in the layout guardrails.classifier.Head loads; hidden_* only for the MLP."""

    kind: str
    weights: np.ndarray
    bias: np.ndarray
    hidden_weights: np.ndarray | None
    hidden_bias: np.ndarray | None
    val_loss: float
    spec: dict[str, float] = field(default_factory=dict)  # what refits it: hidden / alpha, or C

    def probs(self, x: np.ndarray) -> np.ndarray:
        if self.hidden_weights is not None:
            x = np.maximum(x @ self.hidden_weights + self.hidden_bias, 0.0)
        return _probs(x, self.weights, self.bias)


def _logloss(p: np.ndarray, y: np.ndarray, weight: np.ndarray) -> float:
    return float((-np.log(p[np.arange(len(y)), y] + 1e-9) * weight).sum() / weight.sum())


def fit_mlp(x: np.ndarray, y: np.ndarray, xv: np.ndarray, yv: np.ndarray, seed: int,
            weight: np.ndarray, wv: np.ndarray, hidden: int = 64) -> Fitted:
    """One hidden ReLU layer; hard negatives are oversampled (MLPClassifier has no sample weights)."""
    best: Fitted | None = None
    for alpha in (1e-3, 1e-2):
        f = refit({"hidden": hidden, "alpha": alpha}, x, y, weight, seed)
        f.val_loss = _logloss(f.probs(xv), yv, wv)
        if best is None or f.val_loss < best.val_loss:
            best = f
    assert best is not None
    return best


def refit(spec: dict[str, float], x: np.ndarray, y: np.ndarray, weight: np.ndarray, seed: int) -> Fitted:
    """The MLP of `spec` (hidden units, alpha) fitted on (x, y); weights by oversampling."""
    reps = np.repeat(np.arange(len(y)), np.round(weight).astype(int))
    m = MLPClassifier(hidden_layer_sizes=(int(spec["hidden"]),), alpha=spec["alpha"], max_iter=300,
                      early_stopping=True, random_state=seed)
    m.fit(x[reps], y[reps])
    return Fitted(f"mlp {int(spec['hidden'])}", m.coefs_[1].T.astype(np.float32), m.intercepts_[1].astype(np.float32),
                  m.coefs_[0].astype(np.float32), m.intercepts_[0].astype(np.float32), 0.0, dict(spec))


def out_of_fold(spec: dict[str, float], x: np.ndarray, y: np.ndarray, weight: np.ndarray, seed: int,
                folds: int) -> np.ndarray:
    """Class probabilities of every training text from an MLP that did not see it (k folds, seeded)."""
    fold = np.random.default_rng(seed + 1).permutation(len(y)) % folds
    p = np.zeros((len(y), int(y.max()) + 1), dtype=np.float32)
    for k in range(folds):
        f = refit(spec, x[fold != k], y[fold != k], weight[fold != k], seed)
        p[fold == k] = f.probs(x[fold == k])
    return p


def _probs(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    z = x @ w.T + b
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit_softmax(x: np.ndarray, y: np.ndarray, xv: np.ndarray, yv: np.ndarray, seed: int,
                weight: np.ndarray, wv: np.ndarray) -> Fitted:
    """Multinomial logistic regression, class-balanced; C chosen by validation log-loss."""
    best: Fitted | None = None
    for c in (1.0, 4.0, 16.0, 64.0):
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000, random_state=seed)
        model.fit(x, y, sample_weight=weight)
        f = Fitted(f"logreg C={c:g}", model.coef_.astype(np.float32), model.intercept_.astype(np.float32),
                   None, None, 0.0)
        f.val_loss = _logloss(f.probs(xv), yv, wv)
        if best is None or f.val_loss < best.val_loss:
            best = f
    assert best is not None
    return best


def choose_thresholds(p: np.ndarray, yv: np.ndarray, classes: tuple[str, ...],
                      max_fpr: float, sources: np.ndarray, cap: float = 0.95) -> dict[str, float]:
    """Per attack class: the lowest threshold keeping validation benign FPR within max_fpr in EVERY source.

    `p`: class probabilities of validation texts (held-out or out-of-fold). Per source, so the hard benign
    prompts (XSTest look-alikes) are not averaged away by easy ones.
    """
    p = np.hstack([p, 1.0 - p[:, :1]])  # last column: "unsafe" = not benign
    out = {}
    for i, name in enumerate([*classes[1:], "unsafe"], start=1):
        t = 0.3
        for src in np.unique(sources[yv == 0]):
            scores = np.sort(p[(yv == 0) & (sources == src), i])[::-1]
            allowed = int(np.floor(max_fpr * len(scores)))
            if allowed < len(scores):
                t = max(t, float(scores[allowed]) + 1e-4)
        out[name] = round(min(t, cap), 4)
    return out


def composed_probs(p_injection: np.ndarray, p_harmful: np.ndarray) -> np.ndarray:
    """Softmax over (0, log p_i/p_b of the first head, log p_h/p_b of the second): each class's odds
    against benign come from its own expert."""
    eps = 1e-9
    z = np.stack([np.zeros(len(p_injection)), np.log((p_injection[:, 1] + eps) / (p_injection[:, 0] + eps)),
                  np.log((p_harmful[:, 2] + eps) / (p_harmful[:, 0] + eps))], axis=1)
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def compose(injection: Fitted, harmful: Fitted) -> Fitted:
    """One MLP head whose probabilities are `composed_probs` of two MLP heads (hidden layers side by side)."""
    assert injection.hidden_weights is not None and harmful.hidden_weights is not None
    assert injection.hidden_bias is not None and harmful.hidden_bias is not None
    hi, hh = injection.hidden_weights.shape[1], harmful.hidden_weights.shape[1]
    weights = np.zeros((3, hi + hh), np.float32)
    bias = np.zeros(3, np.float32)
    weights[1, :hi] = injection.weights[1] - injection.weights[0]
    bias[1] = injection.bias[1] - injection.bias[0]
    weights[2, hi:] = harmful.weights[2] - harmful.weights[0]
    bias[2] = harmful.bias[2] - harmful.bias[0]
    return Fitted(f"{injection.kind} (injection) + {harmful.kind} (harmful)", weights, bias,
                  np.hstack([injection.hidden_weights, harmful.hidden_weights]),
                  np.concatenate([injection.hidden_bias, harmful.hidden_bias]), harmful.val_loss, harmful.spec)
