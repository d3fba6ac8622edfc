"""Data sets for training, and binding a catalogue model to one.

A ``Problem`` is what the loop trains: a catalogue ``Model`` bound to the training data,
the names of its data entries that carry a leading sample axis (a batch slices exactly
those), and, for classification, the test set and a predictor.

Data names:

``lecture``  the lecture's tables: the 4-row x = 10, 2, 3.5, 1; y = 10.1, 1.9, 3.4, 1.1 for
             ``perceptron`` (and for ``mlp`` as column vectors divided by 10, so a tanh
             MLP 1-8-1 starts in its working range); the catalogue's fixed tables for
             ``perceptron2`` and ``mlp4``.
``digits``   scikit-learn's bundled 8x8 handwritten digits (``load_digits``, shipped in the
             wheel, no download): 1797 images, a fixed 80/20 train/test split by seed,
             pixels standardised with the training statistics, one-hot labels; for ``mlp``
             (64-H-10, softmax cross-entropy).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from .. import models
from ..errors import BadOptionError, UnknownNameError

__all__ = ["DATA", "Problem", "problem", "load_digits", "mlp_logits", "TRAINABLE"]

DATA = ("lecture", "digits")
TRAINABLE = ("perceptron", "perceptron2", "mlp4", "mlp")


@dataclass
class Problem:
    model: models.Model
    sample_keys: tuple          # data entries with a leading sample axis
    n: int                      # training samples
    data: str = ""
    default_batch: Optional[int] = None     # None: full batch
    predict: Optional[Callable] = None      # (params, X) -> class indices
    test: dict = field(default_factory=dict)  # {"X": ..., "labels": ...} for classification

    @property
    def classification(self):
        return self.predict is not None

    def batch(self, idx):
        """The model bound to the samples ``idx`` (None: all of them)."""
        if idx is None:
            return self.model
        return self.model.with_data(**{k: self.model.data[k][idx] for k in self.sample_keys})

    def accuracy(self, params, X=None, labels=None):
        if self.predict is None:
            return None
        X = self.test["X"] if X is None else X
        labels = self.test["labels"] if labels is None else labels
        return float(np.mean(self.predict(params, X) == labels))


def load_digits(seed=0, test_fraction=0.2):
    """(X_train, y_train, X_test, y_test), standardised with the training mean/std."""
    from sklearn.datasets import load_digits as _load
    d = _load()
    X, y = d.data.astype(np.float64), d.target.astype(np.int64)
    idx = np.random.default_rng(seed).permutation(len(y))
    n_test = int(round(test_fraction * len(y)))
    te, tr = idx[:n_test], idx[n_test:]
    mu, sd = X[tr].mean(axis=0), X[tr].std(axis=0)
    sd[sd == 0] = 1.0       # always-blank corner pixels: leave them at 0
    return (X[tr] - mu) / sd, y[tr], (X[te] - mu) / sd, y[te]


def mlp_logits(params, X, activation):
    """The catalogue MLP's forward pass up to the logits (for prediction only)."""
    h, layers = X, len(params) // 2
    for k in range(1, layers + 1):
        z = h @ params[f"W{k}"] + params[f"b{k}"]
        if k < layers:
            h = 1 / (1 + np.exp(-z)) if activation == "sigmoid" else np.tanh(z) \
                if activation == "tanh" else np.maximum(z, 0.0)
    return z


def problem(model="perceptron", data="lecture", seed=0, **options):
    """Bind catalogue model ``model`` (with its ``options``) to data set ``data``."""
    if data not in DATA:
        raise UnknownNameError(f"unknown data {data!r}; known: {', '.join(DATA)}")
    if model not in TRAINABLE:
        if model in models.NAMES:
            raise BadOptionError(f"model {model!r} has no training data; trainable models: "
                                 f"{', '.join(TRAINABLE)}")
        raise UnknownNameError(f"unknown model {model!r}; known: {', '.join(models.NAMES)}")
    if data == "digits":
        if model != "mlp":
            raise BadOptionError(f"data 'digits' (64 pixels -> 10 classes) needs --model mlp, "
                                 f"not {model!r}")
        Xtr, ytr, Xte, yte = load_digits(seed)
        hidden = options.pop("hidden", 32)
        opts = {"sizes": (64, hidden, 10), "activation": "relu", "loss": "softmax_ce"}
        opts.update(options)
        sizes = tuple(opts["sizes"]) if isinstance(opts["sizes"], (tuple, list)) else (opts["sizes"],)
        if sizes[0] != 64 or sizes[-1] != 10:
            raise BadOptionError(f"digits needs sizes 64,...,10, got {','.join(map(str, sizes))}")
        if opts["loss"] != "softmax_ce":
            raise BadOptionError("digits is trained with loss softmax_ce")
        m = models.get("mlp", **opts, X=Xtr, Y=np.eye(10)[ytr])
        act = m.options["activation"]
        return Problem(m, ("X", "Y"), len(ytr), "digits", default_batch=200,
                       predict=lambda p, X: np.argmax(mlp_logits(p, X, act), axis=1),
                       test={"X": Xte, "labels": yte, "train_labels": ytr})
    # lecture
    if model == "perceptron":
        m = models.get("perceptron", **options)
        return Problem(m, ("x", "y"), len(m.data["x"]), "lecture")
    if model == "perceptron2":
        m = models.get("perceptron2", **options)
        return Problem(m, ("x1", "x2", "y"), len(m.data["y"]), "lecture")
    if model == "mlp4":
        m = models.get("mlp4", **options)
        return Problem(m, ("x", "t"), len(m.data["t"]), "lecture")
    opts = {"sizes": (1, 8, 1), "activation": "tanh", "loss": "l2"}
    opts.update(options)
    m = models.get("mlp", **opts, X=models.LECTURE_X[:, None] / 10.0,
                   Y=models.LECTURE_Y[:, None] / 10.0)
    if m.options["sizes"][0] != 1 or m.options["sizes"][-1] != 1:
        raise BadOptionError("the lecture table has 1 input and 1 output: sizes must be 1,...,1")
    return Problem(m, ("X", "Y"), 4, "lecture")
