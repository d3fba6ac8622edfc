"""What is checked, as one scalar along directions: the user's gradient, vjp, jvp, hvp or
Hessian, each turned into ``phi(theta)`` (the scalar the finite differences see) and the
analytic change ``a(d)`` of phi for a displacement ``d`` -- so one probe serves all five.

* ``grad``: phi = f, a(d) = g . d.
* ``vjp``:  phi = <ybar, f> for a random cotangent ybar, a(d) = vjp(x, ybar) . d.
* ``jvp``:  phi = <w, f> for random weights w, a(d) = <w, jvp(x, d)>; the output vectors are
  kept so the table can name the output entries that disagree.
* ``hvp``/``hess``: the same as jvp with f := the (already checked) gradient, flattened in
  the params' layout, and jvp := hvp(x, v) or H(x) @ v.

User code raising anything (SystemExit included) becomes a typed one-line error: a crash of
the user's function must never read as a verdict.
"""
from __future__ import annotations

import numpy as np

from .result import GradcheckInputError

__all__ = ["Target", "call_user", "flat_like"]


def _short(e):
    text = " ".join(str(e).split())
    return text if len(text) <= 200 else text[:197] + "..."


def call_user(fn, what, *args):
    """fn(*args), with any exception the user's code raises (SystemExit too) as a typed error."""
    try:
        return fn(*args)
    except GradcheckInputError:
        raise
    except KeyboardInterrupt:
        raise
    except (Exception, SystemExit) as e:
        raise GradcheckInputError(f"{what} raised {type(e).__name__}: {_short(e)}") from None


def flat_like(layout, value, what):
    """A value shaped like the params (dict or array) -> (float64 vector, eps per entry);
    a wrong structure is a finding about the gradient, returned as the third item."""
    if layout.single:
        value = {"x": value}
    elif not isinstance(value, dict):
        return None, None, f"{what} returned {type(value).__name__}, expected a dict like params"
    out, eps = np.empty(layout.n), np.empty(layout.n)
    for name, sl, shape in zip(layout.names, layout.slices, layout.shapes):
        if name not in value:
            return None, None, f"{what} has no entry {name!r}"
        try:
            a = np.asarray(value[name])
        except ValueError:
            return None, None, f"{what}[{name!r}] is ragged"
        label = what if layout.single else f"{what}[{name!r}]"
        if a.shape != shape and not (a.size == 1 and int(np.prod(shape)) == 1):
            return None, None, f"{label} has shape {a.shape}, the param {shape}"
        if a.dtype.kind not in "fiu":
            return None, None, f"{label} has dtype {a.dtype}"
        out[sl] = a.astype(np.float64).ravel()
        eps[sl] = np.finfo(a.dtype).eps if a.dtype.kind == "f" else np.finfo(np.float64).eps
    return out, eps, None


def _dtype_eps(y):
    dt = np.asarray(y).dtype
    return float(np.finfo(dt).eps) if dt.kind == "f" else float(np.finfo(np.float64).eps)


class Target:
    """``kind`` and the user's functions; ``evaluate(theta) -> (phi, vector or None)`` and
    ``at(params, theta, rng) -> Spec`` for each point."""

    def __init__(self, kind, f, analytic, layout, grad=None):
        self.kind, self.f, self.analytic, self.L, self.grad = kind, f, analytic, layout, grad
        self.w = None
        self.shape = None
        self.eps_out = float(np.finfo(np.float64).eps)

    # --- the function the differences see ----------------------------------------------
    def _raw(self, params):
        if self.kind in ("hvp", "hess"):
            g, eps, problem = flat_like(self.L, call_user(self.grad, "grad", params), "grad")
            if problem:
                raise GradcheckInputError(problem)
            self._grad_eps = float(np.max(eps))      # the gradient's own dtype, not float64's
            return g
        return call_user(self.f, "f", params)

    def first(self, params):
        """Evaluate at the given point once to learn the output's shape and dtype."""
        y = self._raw(params)
        if self.kind == "grad":
            if np.ndim(y) != 0 or isinstance(y, (str, bytes)) or y is None:
                raise GradcheckInputError(
                    f"f returned {'an array of shape ' + str(np.shape(y)) if np.ndim(y) else type(y).__name__}; "
                    "a gradient check needs a scalar (use vjp= or jvp= for a vector output)")
        else:
            a = np.asarray(y)
            if a.dtype.kind not in "fiu" or a.ndim == 0 and self.kind in ("vjp", "jvp"):
                raise GradcheckInputError(f"f returned {type(y).__name__} of dtype {a.dtype}; "
                                          "vjp/jvp checks need an array output (use grad= for a scalar)")
            self.shape = a.shape
        if np.asarray(y).dtype.kind not in "fiu":
            raise GradcheckInputError(f"f returned {type(y).__name__}, not a number")
        self.eps_out = getattr(self, "_grad_eps", None) or _dtype_eps(y)
        return y

    def evaluate(self, params):
        y = self._raw(params)
        if self.kind == "grad":
            if np.ndim(y) != 0:
                raise GradcheckInputError(f"f returned an array of shape {np.shape(y)}; expected a scalar")
            return float(np.real(y)), None
        a = np.asarray(y, dtype=np.float64)
        if a.shape != self.shape:
            raise GradcheckInputError(f"f returned shape {a.shape} here, {self.shape} at the given point")
        vec = a.ravel()
        return float(self.w @ vec), vec

    def output_name(self, i):
        if self.kind in ("hvp", "hess"):
            return self.L.name(i)
        idx = np.unravel_index(i, self.shape) if self.shape else ()
        return f"y[{', '.join(map(str, idx))}]" if idx else "y"

    # --- the analytic side at one point --------------------------------------------------
    def at(self, params, rng):
        """Spec(lin, g, eps_g, problem): lin(d) -> (a, a_vec or None); g the flat gradient of
        phi when known (grad, vjp), else None; problem: what is wrong with its structure."""
        if self.kind == "grad":
            g, eps_g, problem = flat_like(self.L, call_user(self.analytic, "grad", params), "grad")
            return Spec(lambda d: (float(g @ d), None), g, eps_g, problem)
        m = int(np.prod(self.shape))
        self.w = rng.standard_normal(m)
        if self.kind == "vjp":
            ybar = self.w.reshape(self.shape)
            xbar, eps_g, problem = flat_like(self.L, call_user(self.analytic, "vjp", params, ybar), "vjp")
            return Spec(lambda d: (float(xbar @ d), None), xbar, eps_g, problem)
        return Spec(self._lin_vec(params, m), None, None, None)

    def _lin_vec(self, params, m):
        L, w = self.L, self.w

        def lin(d):
            if self.kind == "hess":
                H = self._hess(params)
                out = H @ d
            else:
                what = "jvp" if self.kind == "jvp" else "hvp"
                out = call_user(self.analytic, what, params, L.unflatten(d, cast=False))
                if self.kind == "hvp":
                    out, _, problem = flat_like(L, out, "hvp")
                    if problem:
                        raise GradcheckInputError(problem)
                out = np.asarray(out, dtype=np.float64)
                if out.size != m:
                    raise GradcheckInputError(f"{what} returned shape {out.shape}, f's output {self.shape}")
            out = out.ravel()
            return float(w @ out), out
        return lin

    def _hess(self, params):
        if getattr(self, "_H", None) is None or self._H[0] is not params:
            H = np.asarray(call_user(self.analytic, "hess", params), dtype=np.float64)
            if H.shape != (self.L.n, self.L.n):
                raise GradcheckInputError(f"hess returned shape {H.shape}, expected ({self.L.n}, {self.L.n}) "
                                          "over the params' flat layout")
            self._H = (params, H)
        return self._H[1]


class Spec:
    __slots__ = ("lin", "g", "eps_g", "problem")

    def __init__(self, lin, g, eps_g, problem):
        self.lin, self.g, self.eps_g, self.problem = lin, g, eps_g, problem
