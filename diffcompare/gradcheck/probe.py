"""One probe: is the analytic directional derivative along ``v`` right, judged by an error
model of the finite differences themselves?

Along ``x + t v`` we evaluate ``e(t) = phi(x + d_t) - phi(x) - a(d_t)``: what f does beyond
the analytic first-order change ``a(d_t)`` (``d_t`` is the displacement the params' dtype
really holds, so float32 rounding of ``x + t v`` is not mistaken for a gradient error). For
a right gradient ``e(t)/t -> 0``. The steps form a ladder ``t = +-h 2^j``; any three rungs
``h, 2h, 4h`` are a *window*, and one window gives everything:

* central differences ``c(h), c(2h), c(4h)``; the Richardson value ``R = (4c(h) - c(2h))/3``
  estimates the error of the analytic value with truncation ``O(h^4)``, and ``|R(h) - R(2h)|/15``
  estimates that truncation from the measurements (the Richardson pair);
* noise: ``0.95 sigma / h`` is the standard deviation of ``R`` when each f carries noise sigma;
  we allow 5 of them, plus twice the truncation estimate and the analytic value's rounding;
* smoothness: the fourth differences ``s(2h) - 4 s(h)`` (``s`` the second difference at 0) are
  pure noise when f is smooth and ``~ 2 h |jump|`` when a kink of abs/relu lies in the stencil;
* order: a smooth f makes ``c(4h) - c(2h) ~ 4 (c(2h) - c(h))``. A ratio near 2 means first-order
  convergence: f is once but not twice differentiable here (a Huber or squared-relu switch).
  Then the central value is biased by ``O(h)`` and we judge with one-sided differences from
  each side instead (each Richardson-extrapolated, error estimated from its own pair): both
  agree with the analytic value -> ok; they disagree with each other -> kink; neither -> FAIL.

The step walks down the ladder while a kink is inside the stencil or truncation dominates, and
up while noise dominates (float32), keeping the window with the smallest modelled error.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["OutOfEvals", "NonFinite", "Ladder", "judge", "SIGMAS"]

SIGMAS = 5.0                  # noise standard deviations allowed before a disagreement counts
_Q_R = 0.950                  # std of (4c(h) - c(2h))/3 per unit sigma/h
_Q_D1 = 0.791                 # std of c(2h) - c(h)
_Q_ONE = 2.550                # std of 2F(h) - F(2h) (one-sided, f(x) included)
_Q_KINK = math.sqrt(257 * 70) / 14   # std of (16 d4(h) - d4(2h)) / 14 per unit sigma
_TARGET = 1e-6                # walk up while the modelled error exceeds this share of the scale
_DOWN, _BALANCE = 12, 6       # rungs walked down looking for a smooth stencil; balancing moves


class OutOfEvals(Exception):
    """The evaluation budget (max_evals) is spent."""


class NonFinite(Exception):
    """f returned nan/inf at a probed point (``.t``: the step along the direction)."""

    def __init__(self, t, value):
        super().__init__(t, value)
        self.t, self.value = t, value


class Ladder:
    """Evaluations of one probe at ``t = +-h0 2^j``, each rung computed once."""

    def __init__(self, pt, v):
        self.pt, self.v = pt, v
        self.norm = float(np.abs(v).sum())
        self.rungs = {}
        self.rough = False          # f was not smooth within the first stencil tried (a kink near)

    def h(self, j):
        return self.pt.h0 * 2.0 ** j

    def rung(self, j):
        """(e(+h), e(-h), usable, vector errors or None) at rung j."""
        if j not in self.rungs:
            pt, h = self.pt, self.h(j)
            out, usable = [], True
            for t in (h, -h):
                p = pt.quantize(pt.x + t * self.v)
                d = p - pt.x
                # the dtype cannot hold the step: the realized displacement is far from t v
                usable &= float(np.abs(d - t * self.v).sum()) <= 0.25 * abs(t) * self.norm
                phi, vec = pt.evaluate(p)
                if not math.isfinite(phi):
                    raise NonFinite(t, phi)
                a, avec = pt.lin(d)
                out.append((phi - pt.phi0 - a, None if avec is None else vec - pt.vec0 - avec))
            self.rungs[j] = (out[0][0], out[1][0], usable, (out[0][1], out[1][1]))
        return self.rungs[j]

    def usable(self, j):
        return self.rung(j)[2]


def _window(L, j, sigma, A):
    """The central-difference model on rungs j, j+1, j+2."""
    h = L.h(j)
    r = [L.rung(j + k) for k in range(3)]
    c = [(ep - em) / (2 * h * 2 ** k) for k, (ep, em, _, _) in enumerate(r)]
    s = [ep + em for ep, em, _, _ in r]
    R, Rb = (4 * c[0] - c[1]) / 3, (4 * c[1] - c[2]) / 3
    T = abs(R - Rb) / 15
    N = SIGMAS * _Q_R * sigma / h
    d1, d2 = c[1] - c[0], c[2] - c[1]
    rho = d2 / d1 if d1 else math.inf
    first = abs(d1) > SIGMAS * _Q_D1 * sigma / h and rho < 3
    allow = 0.0
    if 3 <= rho < 4:
        # a ratio between 2 and 4: the part of the first-order term the ratio implies
        rr = (12 - 3 * rho) / (rho - 2)
        allow = 2 / 3 * abs(d1) * rr / (rr + 3)
    # fourth differences at h and 2h: a smooth f scales them by 16 (h^4 times f's 4th
    # derivative), a kink at distance s << h by 2 (~ 2 J h). The part that scales like a kink:
    kink = abs(16 * (s[1] - 4 * s[0]) - (s[2] - 4 * s[1])) / 14
    kn = _Q_KINK * sigma
    # such a kink biases R by kink / (4 h) at most (reached as s -> 0); what noise may hide counts too
    K = (kink + 3 * kn) / (4 * h)
    return dict(j=j, h=h, R=R, T=T, N=N, E=N + 2 * T + A + allow, K=K, smooth=kink <= 3 * kn,
                first=first)


def _one_sided(L, j, sigma, A, tol):
    """Judge with one-sided differences (``_one_sided_at``); a failure must hold on the next
    window too (the one above, else below). Where it does not, a switch of f'' sits within one
    of the stencils, and the verdict is "kink": a wrong gradient disagrees at every step."""
    r = _one_sided_at(L, j, sigma, A, tol)
    if r["verdict"] != "FAIL":
        return r
    k = j + 1 if L.h(j + 3) <= L.pt.hmax else j - 1
    if k < j and not L.usable(k):
        return r
    if _one_sided_at(L, k, sigma, A, tol)["verdict"] == "FAIL":
        return r
    return dict(r, verdict="kink", why="one-sided differences disagree at one step but not at the next")


def _one_sided_at(L, j, sigma, A, tol):
    """Judge with Richardson-extrapolated one-sided differences from each side."""
    h = L.h(j)
    sides = []
    for side, sgn in ((0, 1.0), (1, -1.0)):
        F = [L.rung(j + k)[side] / (sgn * h * 2 ** k) for k in range(3)]
        S, Sb = 2 * F[0] - F[1], 2 * F[1] - F[2]
        sides.append((S, SIGMAS * _Q_ONE * sigma / h + 2 * abs(S - Sb) / 3 + A))
    (Sp, Ep), (Sm, Em) = sides
    E = max(Ep, Em)
    if abs(Sp - Sm) > tol * (Ep + Em):
        return dict(verdict="kink", err=(Sp + Sm) / 2, E=E, h=h, j=j,
                    why=f"one-sided differences disagree ({Sp:+.3g} vs {Sm:+.3g} from the analytic value)")
    agree = (abs(Sp) <= tol * Ep) + (abs(Sm) <= tol * Em)
    mean = (Sp + Sm) / 2
    ok = agree == 2 or (agree == 1 and abs(mean) <= tol * E)
    return dict(verdict="ok" if ok else "FAIL", err=mean, E=E, h=h, j=j, why="one-sided")


def judge(pt, v, a, S, A):
    """The verdict of one probe along v: dict(verdict, err, E, h, j, why, ladder).
    ``a``: the analytic directional derivative; ``S``: its scale (sum |g_k v_k|); ``A``: the
    analytic value's own rounding. ``err`` estimates numeric - analytic."""
    L = Ladder(pt, v)
    tol, sigma = pt.tol, pt.sigma
    try:
        out = _walk(L, pt, sigma, A, S, tol)
    except NonFinite as e:
        out = dict(verdict="nonfinite", err=math.nan, E=math.inf, h=abs(e.t), j=0,
                   why=f"f is {e.value} at x {'+' if e.t > 0 else '-'} {abs(e.t):.2g} v")
    out["ladder"], out["a"], out["S"] = L, a, S
    return out


def _walk(L, pt, sigma, A, S, tol):
    j = 0
    while not (L.usable(j) and L.usable(j + 1)):          # the step underflows: grow it
        j += 1
        if L.h(j + 2) > pt.hmax:
            return dict(verdict="underflow", err=0.0, E=math.inf, h=L.h(j), j=j,
                        why="x + h v rounds back to x in the params' dtype")
    w = _window(L, j, sigma, A)
    for _ in range(_DOWN):                               # a kink in the stencil: smaller steps
        if w["smooth"] or not L.usable(j - 1):
            break
        L.rough = True
        j -= 1
        w = _window(L, j, sigma, A)
    if not w["smooth"]:
        r = _one_sided(L, j, sigma, A, tol)
        if r["verdict"] == "ok":                         # agreement only by a loose model: say so
            r.update(verdict="kink", why="f is not smooth within the stencil at any step tried")
        return r
    up = w["N"] > _TARGET * S and w["T"] < w["N"] / 8
    down = w["T"] > w["N"]
    for _ in range(_BALANCE if up or down else 0):
        k = j + 1 if up else j - 1
        if (up and L.h(k + 2) > pt.hmax) or (down and not L.usable(k)):
            break
        w2 = _window(L, k, sigma, A)
        if not w2["smooth"] or w2["first"] or w2["E"] >= w["E"]:
            break
        j, w = k, w2
    if w["first"]:
        return _one_sided(L, j, sigma, A, tol)
    if abs(w["R"]) <= tol * w["E"]:
        verdict = "noise" if S > 0 and w["E"] > 0.5 * S else "ok"
        return dict(verdict=verdict, err=w["R"], E=w["E"], h=w["h"], j=j, why="central")
    if abs(w["R"]) <= tol * (w["E"] + w["K"]):          # a kink hidden in the noise could explain it
        if L.h(j + 3) <= pt.hmax:
            # a kink's d4 grows with the step while its bias does not: at twice the step the
            # bound K halves unless the kink shows
            w2 = _window(L, j + 1, sigma, A)
            if w2["smooth"] and not w2["first"] and abs(w2["R"]) > tol * (w2["E"] + w2["K"]):
                return dict(verdict="FAIL", err=w2["R"], E=w2["E"], h=w2["h"], j=j + 1, why="central")
        r = _one_sided(L, j, sigma, A, tol)
        if r["verdict"] == "ok":
            r.update(verdict="kink", why="the disagreement is within what a kink hidden in the noise could cause")
        return r
    if L.usable(j - 1):                                  # confirm on the window below
        w2 = _window(L, j - 1, sigma, A)
        if not w2["smooth"] or w2["first"] or abs(w["R"] - w2["R"]) > tol * (w["E"] + w2["E"]):
            return _one_sided(L, j, sigma, A, tol)       # (first-order below: a C1 point near)
    return dict(verdict="FAIL", err=w["R"], E=w["E"], h=w["h"], j=j, why="central")


def per_output(r, pt):
    """For a probe of a vector output (jvp, hvp): per output entry (err, expected) arrays at
    the probe's window, by the same central model applied entry by entry."""
    L, j = r["ladder"], r["j"]
    h = L.h(j)
    vec = [L.rung(j + k)[3] for k in range(3)]
    if vec[0][0] is None:
        return None
    c = [(ep - em) / (2 * h * 2 ** k) for k, (ep, em) in enumerate(vec)]
    R, Rb = (4 * c[0] - c[1]) / 3, (4 * c[1] - c[2]) / 3
    E = SIGMAS * _Q_R * pt.sigma_vec / h + 2 * np.abs(R - Rb) / 15 + pt.arnd_vec(r)
    return R, E
