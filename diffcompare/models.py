"""The catalogue: the lecture's models and losses, each written ONCE against ``xp``.

A model function is ``fn(params, xp, **data) -> scalar``. A catalogue ``Model`` binds its
data, so ``model(params, xp)`` is the one-model contract every method differentiates, and
``model.init(seed)`` gives starting params. Look models up by name::

    >>> m = get("softplus_chain", depth=2)
    >>> sorted(m.init())
    ['b1', 'b2', 'w1', 'w2']
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .errors import BadOptionError, UnknownNameError

__all__ = ["Model", "get", "NAMES", "LOSSES", "LECTURE_X", "LECTURE_Y", "loss"]

# The lecture's data table for the world's smallest perceptron y = w x.
LECTURE_X = np.array([10.0, 2.0, 3.5, 1.0])
LECTURE_Y = np.array([10.1, 1.9, 3.4, 1.1])


# --- losses: per-sample values, written against xp --------------------------------------

def l2(yhat, y, xp):
    """Squared error with the lecture's 1/2: its gradient is (yhat - y)."""
    d = yhat - y
    return 0.5 * (d * d)


def l1(yhat, y, xp):
    return xp.abs(yhat - y)


def zero_one(yhat, y, xp):
    """1[sign(yhat) != y] for labels +-1: a metric whose gradient is zero almost everywhere."""
    return xp.step(-(y * yhat))


def hinge(yhat, y, xp):
    """max(0, 1 - y yhat): the perceptron/SVM loss (labels +-1)."""
    return xp.maximum(0.0, 1.0 - y * yhat)


def logistic(yhat, y, xp):
    """log(1 + exp(-y yhat)) for labels +-1."""
    return xp.log(1.0 + xp.exp(-(y * yhat)))


def softmax_ce(z, y, xp):
    """Softmax cross-entropy of logits z (batch, classes) against one-hot y."""
    return xp.logsumexp(z, axis=-1) - xp.sum(y * z, axis=-1)


LOSSES = {"l2": l2, "l1": l1, "zero_one": zero_one, "hinge": hinge, "logistic": logistic,
          "softmax_ce": softmax_ce}


def loss(name):
    try:
        return LOSSES[name]
    except KeyError:
        raise UnknownNameError(f"unknown loss {name!r}; known: {', '.join(LOSSES)}") from None


# --- the model object ----------------------------------------------------------------------

@dataclass
class Model:
    name: str
    fn: Callable
    init_fn: Callable
    data: dict = field(default_factory=dict)
    description: str = ""
    options: dict = field(default_factory=dict)

    def __call__(self, params, xp, **data):
        return self.fn(params, xp, **(dict(self.data, **data) if data else self.data))

    def init(self, seed=0):
        """Fresh starting params (deterministic for a seed)."""
        return self.init_fn(np.random.default_rng(seed))

    @property
    def params(self):
        return self.init(0)

    def with_data(self, **data):
        return Model(self.name, self.fn, self.init_fn, dict(self.data, **data), self.description,
                     self.options)

    def __repr__(self):
        opts = ", ".join(f"{k}={v!r}" for k, v in self.options.items())
        return f"<model {self.name}({opts})>"


# --- the lecture's models -----------------------------------------------------------------

def _perceptron(params, xp, x, y, loss="l2"):
    yhat = params["w"] * x
    return xp.mean(LOSSES[loss](yhat, y, xp))


def _perceptron2(params, xp, x1, x2, y, loss="l2"):
    yhat = params["w1"] * x1 + params["w2"] * x2
    return xp.mean(LOSSES[loss](yhat, y, xp))


def _neuron(params, xp, x, t):
    # The slide's primitive sequence, op for op and name for name (the slide numbers the
    # temporaries t1, z, t3, t4, t5, y, t6, t7, L -- we keep its names).
    t1 = xp.name(params["w"] * x, "t1")
    z = xp.name(t1 + params["b"], "z")
    t3 = xp.name(-z, "t3")
    t4 = xp.name(xp.exp(t3), "t4")
    t5 = xp.name(1 + t4, "t5")
    y = xp.name(1 / t5, "y")
    t6 = xp.name(y - t, "t6")
    t7 = xp.name(t6 ** 2, "t7")
    return xp.name(t7 / 2, "L")


def _softplus(params, xp, x):
    return xp.log(1 + xp.exp(params["w"] * x + params["b"]))


def _softplus_chain(params, xp, x, depth, width):
    if width == 1:
        h = x
        for k in range(1, depth + 1):
            h = xp.log(1 + xp.exp(params[f"w{k}"] * h + params[f"b{k}"]))
        return h
    a = b = x
    for k in range(1, depth + 1):
        # Both units read both units of the layer below: every value is used twice, which
        # is what makes a symbolic tree explode.
        a, b = (xp.log(1 + xp.exp(params[f"wa{k}"] * a + params[f"ua{k}"] * b + params[f"ca{k}"])),
                xp.log(1 + xp.exp(params[f"wb{k}"] * a + params[f"ub{k}"] * b + params[f"cb{k}"])))
    return a + b


def _mlp4(params, xp, x, t):
    # y = f3(w3 f2(w2 f1(w1 x + b1))), sigmoids, L = mean 1/2 (y - t)^2
    f1 = xp.sigmoid(params["w1"] * x + params["b1"])
    f2 = xp.sigmoid(params["w2"] * f1)
    y = xp.sigmoid(params["w3"] * f2)
    return xp.mean(l2(y, t, xp))


def _logistic_map(params, xp, n):
    # l_0 = x, l_{k+1} = 4 l_k (1 - l_k); returns l_n.  (Baydin et al. number from l_1 = x,
    # so their l_n is our n-1.)
    l = params["x"]
    for _ in range(n):
        l = 4 * l * (1 - l)
    return l


_ACTS = ("sigmoid", "tanh", "relu")


def _mlp(params, xp, X, Y, layers, activation, loss):
    h = X
    for k in range(1, layers + 1):
        z = xp.matmul(h, params[f"W{k}"]) + params[f"b{k}"]
        if k < layers:
            h = (xp.sigmoid(z) if activation == "sigmoid" else xp.tanh(z) if activation == "tanh"
                 else xp.maximum(z, 0.0))
    if loss == "softmax_ce":
        return xp.mean(softmax_ce(z, Y, xp))
    return xp.mean(xp.sum(LOSSES[loss](z, Y, xp), axis=-1))


def _check_int(name, v, lo):
    if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < lo:
        raise BadOptionError(f"{name} must be an integer >= {lo}, got {v!r}")
    return int(v)


def perceptron(loss="l2", x=LECTURE_X, y=LECTURE_Y):
    """The world's smallest perceptron y = w x on the lecture's 4-row table."""
    _known_loss(loss)
    return Model("perceptron", _perceptron, lambda rng: {"w": 0.5},
                 {"x": np.asarray(x, float), "y": np.asarray(y, float), "loss": loss},
                 "y = w x, mean loss over the lecture's table", {"loss": loss})


def perceptron2(loss="l2"):
    """The two-input perceptron y = w1 x1 + w2 x2 (a fixed 6-row table, y = 1.5 x1 - 0.7 x2
    plus small fixed residuals)."""
    _known_loss(loss)
    x1 = np.array([1.0, 2.0, -1.0, 0.5, 3.0, -2.0])
    x2 = np.array([0.5, -1.0, 2.0, 1.5, 0.0, -0.5])
    y = 1.5 * x1 - 0.7 * x2 + np.array([0.05, -0.1, 0.02, 0.08, -0.03, 0.01])
    return Model("perceptron2", _perceptron2, lambda rng: {"w1": 0.5, "w2": 0.5},
                 {"x1": x1, "x2": x2, "y": y, "loss": loss}, "y = w1 x1 + w2 x2", {"loss": loss})


def neuron(x=2.0, t=1.0):
    """The sigmoid neuron with L2 loss, as the slide's sequence of primitive ops."""
    return Model("neuron", _neuron, lambda rng: {"w": 0.5, "b": 0.1}, {"x": x, "t": t},
                 "L = (sigmoid(w x + b) - t)^2 / 2")


def softplus(x=2.0):
    """log(1 + exp(w x + b)) -- the slide's D[Log[1+Exp[w x+b]], w]."""
    return Model("softplus", _softplus, lambda rng: {"w": 0.5, "b": 0.1}, {"x": x},
                 "log(1 + exp(w x + b))")


def softplus_chain(depth=2, width=1, x=0.5):
    """The nested log-exp of any depth (the slide's two-level nest is depth 2); width 2 makes
    each layer's two units read both units below."""
    depth = _check_int("depth", depth, 1)
    width = _check_int("width", width, 1)
    if width not in (1, 2):
        raise BadOptionError(f"width must be 1 or 2, got {width}")

    def init(rng):
        keys = ("w", "b") if width == 1 else ("wa", "ua", "ca", "wb", "ub", "cb")
        # Small weights keep deep chains in a well-scaled range.
        return {f"{k}{i}": float(np.round(rng.uniform(0.3, 0.9) if k[0] in "wu" else rng.uniform(-0.5, 0.5), 3))
                for i in range(1, depth + 1) for k in keys}
    return Model("softplus_chain", _softplus_chain, init,
                 {"x": x, "depth": depth, "width": width},
                 f"nested log(1+exp(.)) of depth {depth}, width {width}",
                 {"depth": depth, "width": width})


def mlp4(x=None, t=None):
    """The lecture's 4-layer chain y = f3(w3 f2(w2 f1(w1 x + b1))), sigmoids, L2, on an
    8-point table (x in [-2, 2], targets in (0, 1))."""
    x = np.linspace(-2.0, 2.0, 8) if x is None else np.asarray(x, float)
    t = 0.3 + 0.4 / (1.0 + np.exp(-2.0 * x)) if t is None else np.asarray(t, float)
    return Model("mlp4", _mlp4, lambda rng: {"w1": 1.0, "b1": 0.0, "w2": 1.0, "w3": 1.0},
                 {"x": x, "t": t}, "y = f3(w3 f2(w2 f1(w1 x + b1))), sigmoids, L2")


def logistic_map(n=4):
    """l_{k+1} = 4 l_k (1 - l_k) from l_0 = x, output l_n (the chaotic map of Baydin et al.)."""
    n = _check_int("n", n, 0)
    return Model("logistic_map", _logistic_map, lambda rng: {"x": 0.3}, {"n": n},
                 f"logistic map, {n} steps", {"n": n})


def mlp(sizes=(2, 16, 16, 1), activation="sigmoid", loss="l2", batch=64, X=None, Y=None,
        data_seed=0, dtype=np.float64):
    """A general MLP (layer sizes, activation) with L2 or softmax cross-entropy, on random
    data of the given batch size unless X, Y are given."""
    sizes = tuple(_check_int("layer size", s, 1) for s in sizes)
    if len(sizes) < 2:
        raise BadOptionError("an MLP needs at least an input and an output size")
    if activation not in _ACTS:
        raise UnknownNameError(f"unknown activation {activation!r}; known: {', '.join(_ACTS)}")
    if loss not in ("l2", "l1", "softmax_ce"):
        raise UnknownNameError(f"MLP loss must be l2, l1 or softmax_ce, got {loss!r}")
    if X is None:
        rng = np.random.default_rng(data_seed)
        X = rng.standard_normal((batch, sizes[0])).astype(dtype)
        if loss == "softmax_ce":
            Y = np.eye(sizes[-1], dtype=dtype)[rng.integers(0, sizes[-1], batch)]
        else:
            Y = rng.uniform(0.1, 0.9, (batch, sizes[-1])).astype(dtype)

    def init(rng):
        p = {}
        for k in range(1, len(sizes)):
            p[f"W{k}"] = (rng.standard_normal((sizes[k - 1], sizes[k])) / np.sqrt(sizes[k - 1])).astype(dtype)
            p[f"b{k}"] = np.zeros(sizes[k], dtype=dtype)
        return p
    return Model("mlp", _mlp, init,
                 {"X": X, "Y": Y, "layers": len(sizes) - 1, "activation": activation, "loss": loss},
                 f"MLP {'-'.join(map(str, sizes))}, {activation}, {loss}",
                 {"sizes": sizes, "activation": activation, "loss": loss})


def _known_loss(name):
    if name not in ("l2", "l1", "zero_one", "hinge", "logistic"):
        raise UnknownNameError(f"unknown loss {name!r} for a perceptron; known: l2, l1, zero_one, hinge, logistic")


_CATALOGUE = {"perceptron": perceptron, "perceptron2": perceptron2, "neuron": neuron,
              "softplus": softplus, "softplus_chain": softplus_chain, "mlp4": mlp4,
              "logistic_map": logistic_map, "mlp": mlp}
NAMES = tuple(_CATALOGUE)


def get(name, **options):
    """A catalogue model by name, with its options (``depth=``, ``width=``, ``n=``, ...)."""
    try:
        build = _CATALOGUE[name]
    except (KeyError, TypeError):
        raise UnknownNameError(f"unknown model {name!r}; known: {', '.join(NAMES)}") from None
    try:
        return build(**options)
    except TypeError as e:
        raise BadOptionError(f"model {name!r}: {e}") from None
