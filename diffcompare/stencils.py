"""Finite-difference schemes as stencils, and their error model (the theory; ``numerical``
runs them).

A real scheme is a *stencil*: offsets ``s_i`` and weights ``w_i`` with

    f'(x) ~= sum_i w_i f(x + s_i h) / h .

Its Taylor moments ``m_k = sum_i w_i s_i**k`` give everything the error model needs, so
forward, backward, central, five-point and Richardson are one mechanism:

* order ``p``: the first ``k >= 2`` with ``m_k != 0`` is ``p + 1``; the truncation error is
  ``C |f^(p+1)| h^p`` with ``C = |m_{p+1}| / (p+1)!``;
* round-off: each evaluation of f is rounded, an error we model as independent and uniform
  in ``+-u |f|`` (``u`` the unit round-off, 2**-53 or 2**-24; RMS ``u |f| / sqrt 3``), so the
  quotient's round-off has RMS ``r(h) = Q u |f| / (sqrt(3) h)`` with ``Q = sqrt(sum w_i**2)``
  (the worst case would be ``sum |w_i| u |f| / h``);
* so ``E(h) = sqrt(t(h)**2 + r(h)**2)``, ``t(h) = C |f^(p+1)| h^p``, is a V on a log-log plot
  with its bottom at ``h* = (r(1) / (sqrt(p) t(1)))**(1/(p+1))``. The sweeps measure the RMS
  error over a few steps near each h, which is what E estimates.

The *automatic* step is that optimum with ``|f| = |f^(p+1)| = 1``, scaled by ``max(|x|, 1)``,
rounded to a power of two, then *realised*: ``h = (x + h) - x`` in the model's dtype, so
``x + h`` is a machine number and the step in the quotient is exactly the step taken.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .errors import UnknownNameError

__all__ = ["SCHEMES", "Stencil", "stencil", "order", "evals_per_coordinate", "unit_roundoff",
           "error_model", "auto_step", "check_scheme", "estimate_stencil"]

SCHEMES = ("forward", "backward", "central", "five-point", "complex-step", "richardson")


# --- stencils and their error model --------------------------------------------------------

@dataclass(frozen=True)
class Stencil:
    name: str
    offsets: tuple
    weights: tuple

    def moment(self, k):
        return sum(w * s ** k for s, w in zip(self.offsets, self.weights))

    @property
    def order(self):
        for k in range(2, 4 * len(self.offsets) + 4):
            if abs(self.moment(k)) > 1e-9:
                return k - 1
        raise AssertionError(f"stencil {self.name} is exact for polynomials")  # pragma: no cover

    @property
    def trunc_constant(self):
        p = self.order
        return abs(self.moment(p + 1)) / math.factorial(p + 1)

    @property
    def roundoff_factor(self):
        """Q = sqrt(sum w_i^2): RMS amplification of independent rounding errors."""
        return float(math.sqrt(sum(w * w for w in self.weights)))

    def apply(self, values, h):
        return sum(w * v for w, v in zip(self.weights, values)) / h


def _richardson(levels):
    """The extrapolated stencil of order 2*levels and the one of order 2*levels - 2 (its
    error estimate), both over offsets +-1, +-1/2, ..., +-1/2**(levels-1)."""
    offs = []
    for k in range(levels):
        offs += [-(0.5 ** k), 0.5 ** k]
    n = len(offs)
    # T[k][0] = central difference at h/2**k, as a weight vector over offs (per unit h).
    T = []
    for k in range(levels):
        v = np.zeros(n)
        v[2 * k], v[2 * k + 1] = -(2.0 ** k) / 2, (2.0 ** k) / 2
        row = [v]
        for j in range(1, k + 1):
            row.append(row[j - 1] + (row[j - 1] - T[k - 1][j - 1]) / (4.0 ** j - 1))
        T.append(row)
    best, below = T[-1][-1], T[-1][-2]
    return (Stencil("richardson", tuple(offs), tuple(best)),
            Stencil("richardson-estimate", tuple(offs), tuple(below)))


_STENCILS = {
    "forward": Stencil("forward", (0.0, 1.0), (-1.0, 1.0)),
    "backward": Stencil("backward", (-1.0, 0.0), (-1.0, 1.0)),
    "central": Stencil("central", (-1.0, 1.0), (-0.5, 0.5)),
    "five-point": Stencil("five-point", (-2.0, -1.0, 1.0, 2.0), (1 / 12, -8 / 12, 8 / 12, -1 / 12)),
}


@lru_cache(maxsize=None)
def estimate_stencil(levels=3):
    """Richardson's error estimate: the stencil one level below the extrapolated one."""
    return _richardson(levels)[1]


@lru_cache(maxsize=None)
def stencil(scheme, levels=3):
    """The Stencil of a real scheme (Richardson: the extrapolated one)."""
    if scheme == "richardson":
        return _richardson(levels)[0]
    return _STENCILS[scheme]


def check_scheme(scheme):
    if scheme not in SCHEMES:
        raise UnknownNameError(f"unknown finite-difference scheme {scheme!r}; known: {', '.join(SCHEMES)}")


def order(scheme, levels=3):
    """Order p of the truncation error (complex step: 2)."""
    check_scheme(scheme)
    return 2 if scheme == "complex-step" else stencil(scheme, levels).order


def evals_per_coordinate(scheme, levels=3):
    """Evaluations of f per coordinate (forward/backward share f(x) across coordinates)."""
    check_scheme(scheme)
    if scheme == "complex-step":
        return 1
    return sum(1 for s in stencil(scheme, levels).offsets if s != 0.0)


def unit_roundoff(dtype):
    """u = eps/2: 2**-53 for float64, 2**-24 for float32."""
    return float(np.finfo(np.dtype(dtype)).eps) / 2


def error_model(scheme, dtype, f0, d1, dp1, levels=3):
    """The error model of ``scheme`` given |f|, |f'| and |f^(p+1)| at the point:
    ``(trunc(h), roundoff(h), h_opt, E_opt)``; trunc and roundoff are RMS terms (callables
    that take arrays) and ``E = sqrt(trunc**2 + roundoff**2)``."""
    check_scheme(scheme)
    u3 = unit_roundoff(dtype) / math.sqrt(3.0)
    f0, d1, dp1 = abs(float(f0)), abs(float(d1)), abs(float(dp1))
    if scheme == "complex-step":
        def trunc(h):
            return dp1 * np.asarray(h, float) ** 2 / 6

        def roundoff(h):
            return u3 * d1 + 0 * np.asarray(h, float)
        # Any h below where truncation falls under rounding is optimal.
        h_opt = math.sqrt(6 * u3 * d1 / dp1) if dp1 > 0 and d1 > 0 else 1e-20
        return trunc, roundoff, h_opt, u3 * d1
    st = stencil(scheme, levels)
    p, a, b = st.order, st.trunc_constant * dp1, st.roundoff_factor * u3 * f0

    def trunc(h):
        return a * np.asarray(h, float) ** p

    def roundoff(h):
        return b / np.asarray(h, float)
    if a == 0 or b == 0:
        return trunc, roundoff, float("nan"), float("nan")
    h_opt = (b / (math.sqrt(p) * a)) ** (1.0 / (p + 1))
    return trunc, roundoff, h_opt, float(math.hypot(trunc(h_opt), roundoff(h_opt)))


def auto_step(scheme, x, dtype=np.float64, levels=3):
    """The automatic step: the model's optimum with |f| = |f^(p+1)| = 1, scaled by
    max(|x|, 1), rounded to a power of two (then realised against x by the caller)."""
    check_scheme(scheme)
    u = unit_roundoff(dtype)
    scale = max(abs(float(x)), 1.0)
    if scheme == "complex-step":
        h = u * scale                   # anything this small is past truncation; no cancellation
    else:
        st = stencil(scheme, levels)
        p = st.order
        b = st.roundoff_factor * u / math.sqrt(3.0)
        h = (b / (math.sqrt(p) * st.trunc_constant)) ** (1.0 / (p + 1)) * scale
    return 2.0 ** round(math.log2(h))
