"""SVMs vs perceptrons, the lecture's opening question, measured on a separable 2-D set.

"SVMs attempt to learn the support vectors which maximize the margin between classes; a
perceptron does not." Both are linear classifiers ŷ = w·x + b trained here with our
gradients from the same start:

* the perceptron by SGD on the perceptron criterion max(0, −y ŷ) -- at a mistake the step is
  η y x, Rosenblatt's rule (the lecture's w + (y − ŷ)x with ŷ = sign(w·x + b), up to the
  factor 2); once every point is on its side the loss and its gradient are 0, so it stops
  wherever that happened, margin or not;
* the SVM by full-batch subgradient descent (η₀/√t) on the hinge loss max(0, 1 − y ŷ) with
  an L2 penalty λ/2 |w|², which keeps pushing until the closest points sit at y ŷ = 1 with
  |w| as small as it can be -- the widest margin 1/|w|.

The geometric margin of each line is min_i y_i (w·x_i + b) / |w|, measured against
scikit-learn's exact solution of the same problem (``SVC(kernel="linear")``; with λ this
small the soft margin equals the hard one on this set).
"""
from __future__ import annotations

import numpy as np

from .. import models
from ..train.data import Problem
from ..train.loop import train
from .training_common import record

__all__ = ["svm_vs_perceptron", "separable_set", "geometric_margin", "MARGIN", "MISCLASSIFIED",
           "SEPARATED_AT", "MARGIN_REF"]

MARGIN = "margin"
MISCLASSIFIED = "misclassified"
SEPARATED_AT = "separated_at_epoch"      # first epoch after which the training loss is 0

LAM = 0.01
START = {"w": np.array([0.3, -1.0]), "b": 0.0}        # misclassifies most points: both must move
MARGIN_REF = "max margin: scikit-learn SVC(kernel='linear', C=1/(nλ)) on the same points"


def separable_set(n=20, seed=3):
    """Two Gaussian clouds, n points each, labels ±1, linearly separable for this seed."""
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal([1.5, 1.5], 0.7, (n, 2)), rng.normal([-1.5, -1.0], 0.7, (n, 2))])
    return X, np.r_[np.ones(n), -np.ones(n)]


def geometric_margin(w, b, X, y):
    return float(np.min(y * (X @ w + b)) / np.linalg.norm(w))


def _classifier(params, xp, X, y, kind, lam):
    yhat = xp.matmul(X, params["w"]) + params["b"]
    if kind == "perceptron":
        return xp.mean(xp.maximum(0.0, -(y * yhat)))
    return xp.mean(xp.maximum(0.0, 1.0 - y * yhat)) + 0.5 * lam * xp.sum(params["w"] * params["w"])


def _problem(kind, X, y):
    m = models.Model(kind, _classifier, lambda rng: {k: np.copy(v) for k, v in START.items()},
                     {"X": X, "y": y, "kind": kind, "lam": LAM},
                     "perceptron criterion max(0, −y ŷ)" if kind == "perceptron"
                     else f"hinge max(0, 1 − y ŷ) + {LAM:g}/2 |w|²")
    return Problem(m, ("X", "y"), len(y), "none")


def _exact(X, y):
    from sklearn.svm import SVC
    svc = SVC(kernel="linear", C=1.0 / (len(y) * LAM)).fit(X, y)
    return svc.coef_[0].astype(float), float(svc.intercept_[0]), svc.support_.tolist()


def svm_vs_perceptron(quick=True):
    """The margin a perceptron and an SVM (hinge + L2) find on the same separable 2-D set,
    from the same start, against the maximum margin."""
    X, y = separable_set()
    w_ref, b_ref, support = _exact(X, y)
    runs = {"perceptron": dict(optimizer="sgd", lr=1.0, epochs=50),
            "svm": dict(optimizer="schedule", lr=2.0, epochs=1500 if quick else 3000)}
    out = [record("svm", "sklearn", MARGIN, geometric_margin(w_ref, b_ref, X, y), reference=MARGIN_REF,
                  w=w_ref.tolist(), b=b_ref, support=support, X=X.tolist(), y=y.tolist())]
    for kind, kw in runs.items():
        r = train(_problem(kind, X, y), seed=0, **kw)
        w, b = np.asarray(r.params["w"], float), float(r.params["b"])
        setting = f"{kw['optimizer']}, lr {kw['lr']:g}, {kw['epochs']} epochs"
        zero = next((e for e, h in zip(r.history_epochs, r.history) if h == 0.0), None)
        mine = dict(w=w.tolist(), b=b, loss=_problem(kind, X, y).model.description)
        out += [record(kind, "autodiff", MARGIN, geometric_margin(w, b, X, y), setting=setting,
                       reference=MARGIN_REF, **mine),
                record(kind, "autodiff", MISCLASSIFIED, int(np.sum(y * (X @ w + b) <= 0)), unit="points",
                       setting=setting, reference=f"{len(y)} training points")]
        if kind == "perceptron":
            out.append(record(kind, "autodiff", SEPARATED_AT, zero, unit="epochs", setting=setting))
    return out
