"""Seeded bugs in hand-written vector-function derivatives (vjp, jvp) and second derivatives
(hvp, Hessian), the kinds people write by hand: a missing transpose, a wrong activation
derivative, a forgotten batch sum; a Hessian with only its upper triangle, a halved
diagonal, a missing cross term, an HVP that ignores v's second block.

Each maker returns ``(f, params, {family: (correct, buggy)})`` for one rng, size and dtype.
"""
from __future__ import annotations

import numpy as np

from .suite import Case, plan

__all__ = ["VEC_KINDS", "SECOND_KINDS", "suite_vec", "suite_second"]


def v_transpose(r, n, dt):
    """y = W x for a square W: the bug applies W where W^T belongs (and vice versa)."""
    W = r.standard_normal((n, n)).astype(dt)
    f = lambda x: W @ x
    return f, r.standard_normal(n).astype(dt), {
        "vjp": (lambda x, yb: W.T @ yb, lambda x, yb: W @ yb),
        "jvp": (lambda x, xd: W @ xd, lambda x, xd: W.T @ xd)}


def _layer(r, n, dt):
    A = r.standard_normal((n, 4)).astype(dt)            # a batch of n samples, 4 features
    p = {"W": (0.5 * r.standard_normal((4, 3))).astype(dt), "b": r.standard_normal(3).astype(dt)}
    f = lambda p: np.tanh(A @ p["W"] + p["b"])
    return A, p, f


def v_activation(r, n, dt):
    """A tanh layer: the bug writes tanh' as 1 - y instead of 1 - y^2."""
    A, p, f = _layer(r, n, dt)

    def vjp(p, yb, bug=False):
        y = f(p)
        d = yb * ((1 - y) if bug else (1 - y * y))
        return {"W": A.T @ d, "b": d.sum(0)}

    def jvp(p, pd, bug=False):
        y = f(p)
        return ((1 - y) if bug else (1 - y * y)) * (A @ pd["W"] + pd["b"])
    return f, p, {"vjp": (vjp, lambda p, yb: vjp(p, yb, True)),
                  "jvp": (jvp, lambda p, pd: jvp(p, pd, True))}


def v_batchsum(r, n, dt):
    """A tanh layer: the bug forgets to sum the bias cotangent over the batch (keeps the first
    sample's), or in forward mode adds the bias tangent to the first sample only."""
    A, p, f = _layer(r, n, dt)

    def vjp(p, yb, bug=False):
        d = yb * (1 - f(p) ** 2)
        return {"W": A.T @ d, "b": d[0] if bug else d.sum(0)}

    def jvp(p, pd, bug=False):
        pre = A @ pd["W"] + (np.concatenate([pd["b"][None], np.zeros((n - 1, 3), dt)]) if bug else pd["b"])
        return (1 - f(p) ** 2) * pre
    return f, p, {"vjp": (vjp, lambda p, yb: vjp(p, yb, True)),
                  "jvp": (jvp, lambda p, pd: jvp(p, pd, True))}


def v_softmax(r, n, dt):
    """softmax: the bug drops the -y (y . ybar) term of its vjp (the jvp's -y (y . xdot))."""
    f = lambda x: np.exp(x - x.max()) / np.sum(np.exp(x - x.max()))
    return f, r.standard_normal(n + 1).astype(dt), {
        "vjp": (lambda x, yb: f(x) * (yb - f(x) @ yb), lambda x, yb: f(x) * yb),
        "jvp": (lambda x, xd: f(x) * (xd - f(x) @ xd), lambda x, xd: f(x) * xd)}


VEC_KINDS = {"vec-transpose": v_transpose, "vec-activation": v_activation,
             "vec-batch-sum": v_batchsum, "vec-softmax": v_softmax}


def _quadratic(r, n, dt):
    """f = 1/2 x^T A x + sum c sin x: H = A - diag(c sin x)."""
    B = r.standard_normal((n, n))
    A = (B + B.T).astype(dt) / 2
    c = r.uniform(0.5, 1.5, n).astype(dt)
    f = lambda x: 0.5 * x @ A @ x + np.sum(c * np.sin(x))
    g = lambda x: A @ x + c * np.cos(x)
    H = lambda x: A - np.diag(c * np.sin(x))
    return f, g, H, r.standard_normal(n).astype(dt)


def s_upper(r, n, dt):
    """A Hessian filled only above the diagonal (np.triu of the right one)."""
    f, g, H, x = _quadratic(r, n, dt)
    return f, x, g, {"hess": (H, lambda x: np.triu(H(x)))}


def s_halfdiag(r, n, dt):
    """The diagonal halved (d^2/dx^2 of x^2/2 written as 1/2)."""
    f, g, H, x = _quadratic(r, n, dt)
    half = lambda x: H(x) - np.diag(np.diag(H(x))) / 2
    return f, x, g, {"hess": (H, half), "hvp": (lambda x, v: H(x) @ v, lambda x, v: half(x) @ v)}


def s_cross(r, n, dt):
    """f = sum a x^2 + sum b x_i x_{i+1}: the bug's HVP misses the cross terms."""
    a = r.uniform(0.5, 1.5, n).astype(dt)
    b = r.uniform(0.5, 1.5, n - 1).astype(dt)
    f = lambda x: np.sum(a * x * x) + np.sum(b * x[:-1] * x[1:]) + np.sum(np.cos(x))
    g = lambda x: 2 * a * x + np.concatenate([b * x[1:], [0]]) + np.concatenate([[0], b * x[:-1]]) - np.sin(x)

    def hvp(x, v, bug=False):
        out = 2 * a * v - np.cos(x) * v
        if not bug:
            out = out + np.concatenate([b * v[1:], [0]]) + np.concatenate([[0], b * v[:-1]])
        return out
    return f, r.standard_normal(n).astype(dt), g, {"hvp": (hvp, lambda x, v: hvp(x, v, True))}


def s_block(r, n, dt):
    """f(a, b) = sum(a^2 b) + sum cos(b) + |a|^2: the bug's HVP ignores v's second block."""
    p = {"a": r.standard_normal(n).astype(dt), "b": r.standard_normal(n).astype(dt)}
    f = lambda p: np.sum(p["a"] ** 2 * p["b"]) + np.sum(np.cos(p["b"])) + np.sum(p["a"] ** 2)
    g = lambda p: {"a": 2 * p["a"] * p["b"] + 2 * p["a"], "b": p["a"] ** 2 - np.sin(p["b"])}

    def hvp(p, v, bug=False):
        vb = np.zeros_like(v["b"]) if bug else v["b"]
        return {"a": 2 * p["b"] * v["a"] + 2 * v["a"] + 2 * p["a"] * vb,
                "b": 2 * p["a"] * v["a"] - np.cos(p["b"]) * vb}
    return f, p, g, {"hvp": (hvp, lambda p, v: hvp(p, v, True))}


SECOND_KINDS = {"hess-upper": s_upper, "hess-half-diagonal": s_halfdiag, "hvp-cross-term": s_cross,
                "hvp-second-block": s_block}


def _cases(kinds, dtype, heldout, build):
    dt = np.dtype(dtype).type
    out = []
    for kind, maker in kinds.items():
        for seed, n in plan(heldout):
            r = np.random.default_rng([seed, sum(map(ord, kind))])
            out.extend(build(kind, maker(r, max(n, 3), dt), np.dtype(dtype).name, seed))
    return out


def suite_vec(dtype="float64", heldout=False):
    """vjp and jvp cases of every vector kind."""
    def build(kind, made, dtype, seed):
        f, p, fams = made
        return [Case(kind, fam, f, p, {fam: fn}, buggy, dtype, seed)
                for fam, pair in fams.items() for buggy, fn in zip((False, True), pair)]
    return _cases(VEC_KINDS, dtype, heldout, build)


def suite_second(dtype="float64", heldout=False):
    """hvp and hess cases of every second-order kind (the gradient given is right)."""
    def build(kind, made, dtype, seed):
        f, p, g, fams = made
        return [Case(kind, fam, f, p, {"grad": g, fam: fn}, buggy, dtype, seed)
                for fam, pair in fams.items() for buggy, fn in zip((False, True), pair)]
    return _cases(SECOND_KINDS, dtype, heldout, build)

