"""A seeded suite of realistic bugs in hand-written derivatives, to score gradient checkers.

Each maker ``k_<kind>(rng, n, dtype)`` returns ``(f, params, correct, buggy or None, note)``
for a plain numpy ``f`` computing in the params' dtype. ``suite(dtype, heldout=False)``
builds our suite (seeds 0, 1; sizes 5, 12) or the held-out one (seeds 1000..; sizes 3, 7, 20:
the same kinds, draws and shapes never seen while tuning). Vector-function (vjp/jvp) and
second-order (hvp/hess) kinds are in ``suite_vec``; the scoring in ``score``.

A case is *resolvable* when finite differences in its dtype can see the bug at all; an
unresolvable case (a 1e8 offset or a block of 1e-6 gradients in float32, f NaN at the
point) must never be reported "pass", correct or not.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Case", "KINDS", "suite", "UNRESOLVABLE"]


@dataclass
class Case:
    kind: str
    family: str              # grad / vjp / jvp / hvp / hess: the gradcheck keyword under test
    f: object
    params: object
    kw: dict                 # gradcheck keywords: {"grad": g} or {"grad": g, "hvp": h}, ...
    buggy: bool
    dtype: str
    seed: int
    note: str = ""
    resolvable: bool = True
    extra: dict = field(default_factory=dict)

    @property
    def name(self):
        return f"{self.kind}{'/bug' if self.buggy else ''}/{self.dtype}/s{self.seed}"


def _sig(z):
    return 1 / (1 + np.exp(-z))


# Every maker returns (f, params, correct_grad, buggy_grad or None, note) for one rng/size.

def k_half(r, n, dt):
    """Least squares with the 1/2: the bug drops the 1/2's effect (a factor 2)."""
    X = r.standard_normal((2 * n, n)).astype(dt)
    y = r.standard_normal(2 * n).astype(dt)
    f = lambda w: 0.5 * np.sum((X @ w - y) ** 2)
    g = lambda w: X.T @ (X @ w - y)
    return f, r.standard_normal(n).astype(dt), g, lambda w: 2 * (X.T @ (X @ w - y)), ""


def k_factor2(r, n, dt):
    """sum(c x^2): the bug forgets the 2 of the power rule."""
    c = r.uniform(0.5, 2, n).astype(dt)
    f = lambda x: np.sum(c * x ** 2)
    return f, r.standard_normal(n).astype(dt), lambda x: 2 * c * x, lambda x: c * x, ""


def k_sign(r, n, dt):
    """Logistic loss: the bug flips the sign of the data term."""
    X = r.standard_normal((3 * n, n)).astype(dt)
    y = r.choice((-1.0, 1.0), 3 * n).astype(dt)
    f = lambda w: np.sum(np.logaddexp(0, -y * (X @ w)))
    g = lambda w: X.T @ (-y * _sig(-y * (X @ w)))
    gb = lambda w: X.T @ (y * _sig(-y * (X @ w)))
    return f, r.standard_normal(n).astype(dt), g, gb, ""


def k_transpose(r, n, dt):
    """0.5||W x - y||^2 for square W: the bug returns outer(x, r) instead of outer(r, x)."""
    x = r.standard_normal(n).astype(dt)
    y = r.standard_normal(n).astype(dt)
    f = lambda W: 0.5 * np.sum((W @ x - y) ** 2)
    g = lambda W: np.outer(W @ x - y, x)
    gb = lambda W: np.outer(x, W @ x - y)
    return f, r.standard_normal((n, n)).astype(dt), g, gb, ""


def k_sigmoid(r, n, dt):
    """A sigmoid layer: the bug writes sigmoid' as s instead of s(1-s)."""
    X = r.standard_normal((2 * n, n)).astype(dt)
    t = r.uniform(0, 1, 2 * n).astype(dt)
    f = lambda p: 0.5 * np.sum((_sig(X @ p["w"] + p["b"]) - t) ** 2)

    def g(p, bug=False):
        s = _sig(X @ p["w"] + p["b"])
        d = (s - t) * (s if bug else s * (1 - s))
        return {"w": X.T @ d, "b": np.sum(d).astype(dt)}
    p = {"w": r.standard_normal(n).astype(dt), "b": dt(0.3)}
    return f, p, g, lambda p: g(p, True), ""


def k_bias(r, n, dt):
    """A linear layer with bias: the bug forgets the bias gradient (returns zeros)."""
    X = r.standard_normal((2 * n, n)).astype(dt)
    Y = r.standard_normal((2 * n, 3)).astype(dt)
    f = lambda p: 0.5 * np.sum((X @ p["W"] + p["b"] - Y) ** 2)

    def g(p, bug=False):
        R = X @ p["W"] + p["b"] - Y
        return {"W": X.T @ R, "b": np.zeros_like(p["b"]) if bug else R.sum(axis=0)}
    p = {"W": r.standard_normal((n, 3)).astype(dt), "b": r.standard_normal(3).astype(dt)}
    return f, p, g, lambda p: g(p, True), ""


def k_offbyone(r, n, dt):
    """softplus(d_i x_i): the bug reads the data one index off (d[i+1])."""
    d = r.uniform(0.5, 2, n).astype(dt)
    f = lambda x: np.sum(np.logaddexp(0, d * x))
    g = lambda x: d * _sig(d * x)
    gb = lambda x: np.roll(d, -1) * _sig(d * x)
    return f, r.standard_normal(n).astype(dt), g, gb, ""


def k_axis(r, n, dt):
    """Batch of k=n samples with a per-output bias b: the bug sums over the wrong axis."""
    Z = r.standard_normal((n, n)).astype(dt)
    f = lambda b: 0.5 * np.sum(np.tanh(Z + b) ** 2)

    def g(b, axis=0):
        T = np.tanh(Z + b)
        return np.sum(T * (1 - T * T), axis=axis)
    return f, r.standard_normal(n).astype(dt), g, lambda b: g(b, 1), ""


def k_onecoord(r, n, dt):
    """1000 params, one coordinate's gradient is wrong (forgotten: 0)."""
    m = 1000
    c = r.uniform(0.5, 1.5, m).astype(dt)
    k = int(r.integers(m))
    f = lambda x: np.sum(c * np.cos(x))
    g = lambda x: -c * np.sin(x)

    def gb(x):
        out = g(x).copy()
        out[k] = 0
        return out
    x = r.uniform(0.5, 2.5, m).astype(dt) * r.choice((-1, 1), m).astype(dt)
    return f, x, g, gb, ""


def k_relerr(r, n, dt):
    """exp-quadratic: the bug has a 1e-4 relative error (a truncated constant)."""
    c = r.uniform(0.5, 1.5, n).astype(dt)
    f = lambda x: np.exp(0.1 * np.sum(c * x * x))
    g = lambda x: f(x) * 0.2 * c * x
    return f, r.standard_normal(n).astype(dt), g, lambda x: g(x) * dt(1 + 1e-4), ""


def k_tiny(r, n, dt):
    """A block of tiny gradients (1e-6 scale) beside O(1) ones: sign error in the tiny block."""
    c = r.uniform(0.5, 1.5, n).astype(dt)
    f = lambda p: np.sum(c * p["w"] ** 2) + dt(1e-6) * np.sum(np.sin(p["t"]))

    def g(p, bug=False):
        gt = dt(1e-6) * np.cos(p["t"])
        return {"w": 2 * c * p["w"], "t": -gt if bug else gt}
    p = {"w": r.standard_normal(n).astype(dt), "t": r.uniform(-1, 1, n).astype(dt)}
    return f, p, g, lambda p: g(p, True), ""


def k_regular(r, n, dt):
    """A data term under a regulariser 1e3 times larger: the bug is in the data term."""
    X = r.standard_normal((2 * n, n)).astype(dt)
    y = r.standard_normal(2 * n).astype(dt)
    lam = dt(1e3)
    f = lambda w: 0.5 * np.sum((X @ w - y) ** 2) / (2 * n) + lam * np.sum(w * w)

    def g(w, bug=False):
        data = X.T @ (X @ w - y) / (2 * n)
        return (-data if bug else data) + 2 * lam * w
    return f, r.standard_normal(n).astype(dt), g, lambda w: g(w, True), ""


def k_kink(r, n, dt):
    """sum|x - c| + relu, with entries near a kink: the bug writes the
    derivative of |u| as (u > 0) (relu's) instead of sign(u)."""
    c = r.standard_normal(n).astype(dt)
    near = 1e-6 if dt == np.float64 else 1e-3      # ~1e10 / ~1e4 ulps: close, yet resolvable
    x = (c + r.choice((-1, 1), n) * r.uniform(0.5, 2, n) * np.abs(c) * near +
         r.standard_normal(n) * (r.uniform(size=n) < 0.5)).astype(dt)
    f = lambda x: np.sum(np.abs(x - c)) + np.sum(np.maximum(x, 0) * c)
    g = lambda x: np.sign(x - c) + (x > 0) * c
    gb = lambda x: (x - c > 0).astype(dt) + (x > 0) * c
    return f, x, g, gb, "kinks near the point"


def k_kinkat(r, n, dt):
    """relu/abs exactly AT the kink for some entries: correct only (inconclusive allowed)."""
    x = r.standard_normal(n).astype(dt)
    x[: max(1, n // 3)] = 0
    f = lambda x: np.sum(np.abs(x)) + np.sum(np.maximum(x, 0) ** 2)
    g = lambda x: np.sign(x) + 2 * np.maximum(x, 0)
    return f, x, g, None, "entries exactly at a kink of abs"


def k_noise(r, n, dt):
    """f with run-to-run noise (1e-9 relative in float64, 1e-6 in float32): the bug is a
    factor 2 on half the entries."""
    c = r.uniform(0.5, 1.5, n).astype(dt)
    level = 1e-9 if dt == np.float64 else 1e-6
    noise = np.random.default_rng(int(r.integers(1 << 30)))
    f = lambda x: np.sum(c * np.sin(x)) * (1 + level * noise.standard_normal())
    g = lambda x: c * np.cos(x)

    def gb(x):
        out = g(x)
        out[::2] *= 2
        return out
    return f, r.standard_normal(n).astype(dt), g, gb, "run-to-run noise in f"


def k_offset(r, n, dt):
    """1e8 + a smooth f (float64 keeps ~8 digits of the variation; float32 none at all, so
    in float32 the case is correct-only: no check can see a gradient there)."""
    c = r.uniform(0.5, 1.5, n).astype(dt)
    f = lambda x: dt(1e8) + np.sum(c * np.cos(x))
    g = lambda x: -c * np.sin(x)
    gb = (lambda x: -c * np.sin(x) * dt(1.01)) if dt == np.float64 else None
    return f, r.standard_normal(n).astype(dt), g, gb, "1e8 offset in f"


def k_mlp(r, n, dt):
    """The lecture's sigmoid MLP (2 hidden layers): the bug forgets sigmoid' in layer 1's
    backprop delta."""
    X = r.standard_normal((8, n)).astype(dt)
    T = r.uniform(0, 1, (8, 1)).astype(dt)
    shapes = {"W1": (n, 5), "b1": (5,), "W2": (5, 4), "b2": (4,), "W3": (4, 1), "b3": (1,)}
    p = {k: (r.standard_normal(s) * 0.8).astype(dt) for k, s in shapes.items()}

    def fwd(p):
        a1 = _sig(X @ p["W1"] + p["b1"])
        a2 = _sig(a1 @ p["W2"] + p["b2"])
        return a1, a2, a2 @ p["W3"] + p["b3"]
    f = lambda p: 0.5 * np.sum((fwd(p)[2] - T) ** 2)

    def g(p, bug=False):
        a1, a2, y = fwd(p)
        d3 = y - T
        d2 = (d3 @ p["W3"].T) * a2 * (1 - a2)
        d1 = d2 @ p["W2"].T
        if not bug:
            d1 = d1 * a1 * (1 - a1)
        return {"W1": X.T @ d1, "b1": d1.sum(0), "W2": a1.T @ d2, "b2": d2.sum(0),
                "W3": a2.T @ d3, "b3": d3.sum(0)}
    return f, p, g, lambda p: g(p, True), ""


def k_huber(r, n, dt):
    """Huber loss with residuals exactly at the switch |r| = delta: once but not twice
    differentiable there. The bug clips at 2 delta instead of delta."""
    X = r.standard_normal((2 * n, n)).astype(dt)
    w = r.standard_normal(n).astype(dt)
    d = dt(0.5)
    y = (X @ w).astype(dt)
    y[: n] += np.where(r.uniform(size=n) < 0.5, d, -d).astype(dt)      # these residuals sit at the switch
    y = y.astype(dt)

    def hub(u):
        a = np.abs(u)
        return np.where(a <= d, 0.5 * u * u, d * (a - 0.5 * d))
    f = lambda w: np.sum(hub(X @ w - y))
    g = lambda w: X.T @ np.clip(X @ w - y, -d, d)
    gb = lambda w: X.T @ np.clip(X @ w - y, -2 * d, 2 * d)
    return f, w, g, gb, "residuals exactly at the Huber switch (C1 point)"


def k_relu2(r, n, dt):
    """Squared relu with pre-activations exactly 0: C1 there. The bug forgets the 2."""
    x = r.standard_normal(n).astype(dt)
    x[: max(1, n // 3)] = 0
    c = r.uniform(0.5, 1.5, n).astype(dt)
    f = lambda x: np.sum(c * np.maximum(x, 0) ** 2) + np.sum(np.sin(x))
    g = lambda x: 2 * c * np.maximum(x, 0) + np.cos(x)
    gb = lambda x: c * np.maximum(x, 0) + np.cos(x)
    return f, x, g, gb, "squared relu at 0 (C1 point)"


def k_nan(r, n, dt):
    """sum(log x) with a negative entry: f is NaN at the point; 7/|x| is no gradient of it.
    Neither may pass."""
    x = r.uniform(0.5, 2, n).astype(dt)
    x[0] = -x[0]
    f = lambda x: np.sum(np.log(x))
    return f, x, (lambda x: 1 / x), (lambda x: 7 / np.abs(x)), "f is NaN at the point"


KINDS = {"half": k_half, "factor2": k_factor2, "sign": k_sign, "transpose": k_transpose,
         "sigmoid-prime": k_sigmoid, "bias": k_bias, "off-by-one": k_offbyone,
         "wrong-axis": k_axis, "one-of-1000": k_onecoord, "rel-1e-4": k_relerr,
         "tiny-block-sign": k_tiny, "under-regulariser": k_regular, "kink-near": k_kink,
         "kink-at": k_kinkat, "noisy-f": k_noise, "offset-1e8": k_offset, "mlp-backprop": k_mlp,
         "huber-switch": k_huber, "relu2-at-0": k_relu2, "nan-f": k_nan}

# (kind, dtype) where no finite difference can see the bug: must never pass
UNRESOLVABLE = {("tiny-block-sign", "float32"), ("offset-1e8", "float32"), ("nan-f", "float32"),
                ("nan-f", "float64")}


def plan(heldout):
    """(seed, size) pairs: ours, or the held-out ones."""
    return [(1000 + i, n) for i, n in enumerate((3, 7, 20))] if heldout else [(0, 5), (1, 12)]


def suite(dtype="float64", heldout=False, kinds=None):
    """Cases (correct and buggy) of every first-order kind, in one dtype."""
    dt = np.dtype(dtype).type
    out = []
    for kind, maker in KINDS.items():
        if kinds and kind not in kinds:
            continue
        for seed, n in plan(heldout):
            r = np.random.default_rng([seed, sum(map(ord, kind))])
            f, p, g, gb, note = maker(r, n, dt)
            ok = (kind, np.dtype(dtype).name) not in UNRESOLVABLE
            for buggy, grad in ((False, g), (True, gb)):
                if grad is not None:
                    out.append(Case(kind, "grad", f, p, {"grad": grad}, buggy, np.dtype(dtype).name, seed,
                                    note, ok))
    return out
