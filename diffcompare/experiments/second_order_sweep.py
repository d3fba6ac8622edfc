"""The V-curve of a Hessian entry: each second-derivative scheme's error against the step h,
beside its error model -- the theory of ``stencils.py`` carried to second derivatives.

A scheme is a *2-D stencil* in the plane of coordinates i and j: points ``s = (s_i, s_j)``
(in units of h) and weights ``w``, applied to the values ``v`` of f (second differences,
``q = 2``: ``H_ij ~ sum w f(x + h s) / h^2``) or of the gradient's entry ``g_i``
(differences of an exact gradient, ``q = 1``: ``H_ij ~ sum w g_i(x + h s) / h``). Taylor
moments ``C(a, b) = sum w s_i^a s_j^b / (a! b!)`` give everything:

* the order p: the first ``k > q`` with a non-zero ``C(a, b)`` (a + b = k) is ``p + q``;
  the truncation error is ``|T| h^p`` with ``T = sum_{a+b=p+q} C(a, b) f_(a,b)`` -- mixed
  partials of f of order p + 2 (``f_(1,3) = d4 f / dx_i dx_j^3``), taken from the 50-digit
  reference (``highprec.mixed_partials``);
* round-off: each value carries an independent evaluation error of RMS ``sigma_v``, so the
  quotient's round-off has RMS ``Q sigma_v / h^q``, ``Q = sqrt(sum over distinct points of
  (their weights' sum)^2)``. ``sigma_v`` is measured: the RMS error of v over the jittered
  points against its 50-digit value. For a well-conditioned v it is about the rounding of v
  alone, ``u |v| / sqrt 3`` (the first-order model's assumption, kept as the fallback);
  for the logistic map it is ~10^4 times that;
* ``E(h) = sqrt(t^2 + r^2)``, a V on log-log axes with its bottom at
  ``h* = ((q / p)^(1/2) r(1) / t(1))^(1/(p+q))``: ``u^(1/4)`` for second differences and
  ``u^(1/3)`` for gradient differences, errors ``u^(1/2)`` and ``u^(2/3)``.

Richardson combines a stencil at h and at h/2, ``(2^p D(h/2) - D(h)) / (2^p - 1)`` with p = 2,
into one stencil of order 4. The measured error at h is the RMS over ``jitter`` draws (the
point moved by 7k units in the last place of ``x_i``, the step by ``1 + 0.1 k / jitter``;
the reference follows to first order with ``d H_ij / dx_i``), as in ``stepsweep``: one fixed
point can cancel truncation against its own rounding at some h. Nothing here prints.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .. import highprec
from ..errors import DiffcompareError
from ..hessian import Differences
from ..params import Layout
from ..records import Record
from ..stepsweep import ABS_ERROR, AUTO_ERROR, AUTO_H, BEST_ERROR, BEST_H, SLOPE, THEORY_ERROR, THEORY_H, slope

__all__ = ["SCHEMES", "Stencil2", "stencil2", "error_model", "entry_sweep", "SECTION", "ENTRY",
           "AT_OPTIMUM", "ABS_ERROR", "AUTO_ERROR", "AUTO_H", "BEST_ERROR", "BEST_H", "SLOPE", "THEORY_ERROR",
           "THEORY_H", "default_hs"]

SECTION = "second_order"
SCHEMES = ("central", "central-grad", "richardson", "richardson-grad")
# metric names beside stepsweep's (ABS_ERROR, THEORY_ERROR, ... -- the same meaning per entry)
ENTRY = "hessian_entry"        # the reference H_ij (extra: i, j, entry name, f, g_i, x)
AT_OPTIMUM = "at_optimum"      # RMS error measured at the model's h* (extra: h, model E*, ratio)
AT_OPTIMUM_DRAWS = 32          # draws at h*: the RMS of a few round-offs is itself noisy (+-50% at 6)


@dataclass(frozen=True)
class Stencil2:
    """A second-derivative stencil: ``points`` (s_i, s_j), ``weights``, differenced values
    ``q = 2`` (f) or ``q = 1`` (the gradient's entry g_i)."""
    scheme: str
    points: tuple
    weights: tuple
    q: int

    def moment(self, a, b):
        """C(a, b) = sum w s_i^a s_j^b / (a! b!)."""
        return sum(w * si ** a * sj ** b for (si, sj), w in zip(self.points, self.weights)) / (
            math.factorial(a) * math.factorial(b))

    @property
    def order(self):
        for k in range(self.q + 1, self.q + 9):
            if any(abs(self.moment(a, k - a)) > 1e-12 for a in range(k + 1)):
                return k - self.q
        raise AssertionError(f"stencil {self.scheme} exact for polynomials")  # pragma: no cover

    def leading(self):
        """{(a, b): C(a, b)} of the leading truncation term (a + b = p + q)."""
        k = self.order + self.q
        return {(a, k - a): c for a in range(k + 1) if abs(c := self.moment(a, k - a)) > 1e-12}

    @property
    def roundoff_factor(self):
        merged = {}
        for pt, w in zip(self.points, self.weights):
            merged[pt] = merged.get(pt, 0.0) + w
        return math.sqrt(sum(w * w for w in merged.values()))


def _halved(st):
    """Richardson: (4 D(h/2) - D(h)) / 3 as one stencil (D(h/2) carries 2^q from 1/(h/2)^q)."""
    pts = st.points + tuple((si / 2, sj / 2) for si, sj in st.points)
    ws = tuple(-w / 3 for w in st.weights) + tuple(4 / 3 * 2 ** st.q * w for w in st.weights)
    return Stencil2("richardson" + ("-grad" if st.q == 1 else ""), pts, ws, st.q)


@lru_cache(maxsize=None)
def stencil2(scheme, diagonal):
    """The stencil ``hessian.Differences`` applies for ``scheme`` on a diagonal entry or off it."""
    if scheme.endswith("-grad"):
        st = Stencil2("central-grad", ((0.0, 1.0), (0.0, -1.0)), (0.5, -0.5), 1)
    elif diagonal:
        st = Stencil2("central", ((1.0, 0.0), (0.0, 0.0), (-1.0, 0.0)), (1.0, -2.0, 1.0), 2)
    else:
        st = Stencil2("central", ((1.0, 1.0), (1.0, -1.0), (-1.0, 1.0), (-1.0, -1.0)),
                      (0.25, -0.25, -0.25, 0.25), 2)
    return _halved(st) if scheme.startswith("richardson") else st


def _index(a, b, q, diagonal):
    """The partial of f a moment multiplies: f_(a,b) for f, f_(1+a, b) for g_i; on the
    diagonal every derivative is along x_i."""
    a = a + (1 if q == 1 else 0)
    return (a + b, 0) if diagonal else (a, b)


def needed(schemes, diagonal):
    """The mixed partials the error model of ``schemes`` reads, with the entry, f, g_i and
    the entry's slope along x_i (for the jittered points)."""
    out = {(0, 0), (1, 0), (2, 0) if diagonal else (1, 1), (3, 0) if diagonal else (2, 1)}
    for s in schemes:
        st = stencil2(s, diagonal)
        out |= {_index(a, b, st.q, diagonal) for a, b in st.leading()}
    return sorted(out)


def error_model(scheme, diagonal, dtype, partials, noise=None):
    """``(trunc, roundoff, h_opt, E_opt, p)`` of ``scheme`` for one entry, from its mixed
    ``partials`` ({(a, b): value}); trunc and roundoff are RMS terms taking arrays of h.
    ``noise``: {"f": RMS, "g": RMS} measured evaluation errors of f and of g_i (default: the
    rounding of the value alone, ``u |v| / sqrt 3``)."""
    st = stencil2(scheme, diagonal)
    p, q = st.order, st.q
    v = "f" if q == 2 else "g"
    sigma = (noise or {}).get(v) or naive_noise(dtype, partials[(0, 0) if q == 2 else (1, 0)])
    a = abs(sum(c * partials[_index(i, j, q, diagonal)] for (i, j), c in st.leading().items()))
    b = st.roundoff_factor * sigma

    def trunc(h):
        return a * np.asarray(h, float) ** p

    def roundoff(h):
        return b / np.asarray(h, float) ** q
    if a == 0 or b == 0:
        return trunc, roundoff, float("nan"), float("nan"), p
    h_opt = (math.sqrt(q / p) * b / a) ** (1.0 / (p + q))
    return trunc, roundoff, h_opt, float(math.hypot(trunc(h_opt), roundoff(h_opt))), p


def naive_noise(dtype, v):
    """RMS of rounding ``v`` alone: uniform within +-u|v|."""
    return float(np.finfo(np.dtype(dtype)).eps) / 2 / math.sqrt(3.0) * abs(v)


def _noise(fd, draws, exact, i):
    """RMS evaluation error of f and of the gradient's entry i over the draws, against the
    50-digit values there: what the round-off term is made of. An evaluation of f is not
    rounded once: a chaotic map's error grows 4x per step, so u|f| can be 10^4 times too small."""
    ef = [fd.value_of(theta) - fx for (theta, _), (fx, _) in zip(draws, exact)]
    out = {"f": math.sqrt(sum(e * e for e in ef) / len(ef))}
    if fd.grad_of is not None:
        eg = [fd.grad_of(theta)[i] - gx for (theta, _), (_, gx) in zip(draws, exact)]
        out["g"] = math.sqrt(sum(e * e for e in eg) / len(eg))
    return out


def default_hs(per_decade=4, hmax=1.0, hmin=1e-12):
    n = int(round(math.log10(hmax / hmin) * per_decade)) + 1
    return np.logspace(math.log10(hmax), math.log10(hmin), n)


def _measure(fd, draws, i, j, h, jitter_scale=0.1):
    """RMS error of the entry over the jittered draws at step ~h (None: the automatic step;
    nan where the step vanishes)."""
    sq = []
    for k, (theta, ref) in enumerate(draws):
        try:
            hs, halves = fd.steps(theta, None if h is None else h * (1 + jitter_scale * k / len(draws)))
        except DiffcompareError:             # the step vanishes next to x in this dtype
            continue
        with np.errstate(all="ignore"):
            v, _ = fd.entry(theta, i, j, hs, halves)
        sq.append((v - ref) ** 2)
    return math.sqrt(sum(sq) / len(sq)) if sq else float("nan")


def entry_sweep(model, params, i, j, schemes=SCHEMES, hs=None, jitter=8, name=None, progress=None):
    """Records of the V-curve of H[i, j] (flat indices of ``params.Layout``) in the params'
    dtype: per scheme and h the RMS error (``ABS_ERROR``, extra: h, truncation, round-off),
    then the model's optimum, the error measured there, the best on the grid, the automatic
    step and its error, the slope where truncation dominates. Reference: the 50-digit SymPy
    Hessian (``highprec.mixed_partials``) at the params' binary values."""
    L = Layout(params)
    diagonal = i == j
    dtype = np.result_type(*[np.asarray(v).dtype for v in params.values()], np.float32)
    hs = default_hs() if hs is None else np.asarray(hs, float)
    hi_params = {k: (v.astype(np.float64) if isinstance(v, np.ndarray) else float(v)) for k, v in params.items()}
    d, label = highprec.mixed_partials(model, hi_params, i, j, needed(schemes, diagonal))
    ref, slope_i = d[(2, 0) if diagonal else (1, 1)], d[(3, 0) if diagonal else (2, 1)]
    theta0 = L.flatten(params)
    x = dtype.type(theta0[i])
    draws = []
    for k in range(max(jitter, AT_OPTIMUM_DRAWS)):
        theta = theta0.copy()
        theta[i] = float(x + dtype.type(7 * k) * np.spacing(x))
        draws.append((theta, ref + slope_i * (theta[i] - theta0[i])))
    entry = f"H[{L.name(i)}, {L.name(j)}]"
    curve = f"{dtype.name} {entry}"
    name = name or getattr(model, "name", "f")
    base = {"curve": curve, "dtype": dtype.name, "entry": entry, "i": i, "j": j, "diagonal": diagonal}
    recs = [Record(SECTION, name, "reference", ENTRY, ref, "", curve, label,
                   dict(base, f=d[(0, 0)], g_i=d[(1, 0)], x=float(theta0[i])))]
    exact = highprec.along(model, hi_params, i, [theta[i] - theta0[i] for theta, _ in draws])
    for n, s in enumerate(schemes):
        fd = Differences(model, params, s)
        noise = _noise(fd, draws, exact, i)
        trunc, roundoff, h_opt, e_opt, p = error_model(s, diagonal, dtype, d, noise)
        errs = np.array([_measure(fd, draws[:jitter], i, j, h) for h in hs])
        for h, e, t, r in zip(hs, errs, trunc(hs), roundoff(hs)):
            recs.append(Record(SECTION, name, s, ABS_ERROR, float(e), "", f"{curve} h={h:.3e}", label,
                               dict(base, h=float(h), truncation=float(t), roundoff=float(r))))
        ok = np.isfinite(errs)
        best = int(np.argmin(np.where(ok, errs, np.inf))) if ok.any() else None
        at_opt = _measure(fd, draws, i, j, h_opt) if math.isfinite(h_opt) else float("nan")
        h_auto = fd.steps(theta0)[0][j]
        recs += [
            Record(SECTION, name, s, THEORY_ERROR, e_opt, "", curve, "error model",
                   dict(base, h=h_opt, order=p, noise=noise, naive={"f": naive_noise(dtype, d[(0, 0)]),
                                                                      "g": naive_noise(dtype, d[(1, 0)])})),
            Record(SECTION, name, s, THEORY_H, h_opt, "", curve, "error model", base),
            Record(SECTION, name, s, AT_OPTIMUM, at_opt, "", curve, label,
                   dict(base, h=h_opt, model=e_opt, ratio=at_opt / e_opt if e_opt > 0 else float("nan"))),
            Record(SECTION, name, s, BEST_ERROR, float(errs[best]) if best is not None else float("nan"), "",
                   curve, label, dict(base, h=float(hs[best]) if best is not None else float("nan"))),
            Record(SECTION, name, s, BEST_H, float(hs[best]) if best is not None else float("nan"), "", curve,
                   "", base),
            Record(SECTION, name, s, AUTO_ERROR, _measure(fd, draws[:jitter], i, j, None), "", curve, label,
                   dict(base, h=h_auto)),
            Record(SECTION, name, s, AUTO_H, h_auto, "", curve, "", base),
            Record(SECTION, name, s, SLOPE, slope(hs, errs, trunc(hs), roundoff(hs), d1=ref), "", curve, label,
                   dict(base, order=p)),
        ]
        if progress:
            progress(f"second derivatives: V-curve of {name} {curve}", n + 1, len(schemes))
    return recs
