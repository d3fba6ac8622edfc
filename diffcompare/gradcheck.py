"""Gradient checks you can leave on in CI: catch real bugs, never cry wolf.

``gradcheck(f, params, grad)`` compares an analytic gradient with central differences, and
the tolerance is not a fixed atol/rtol but an *error model of the numerical derivative
itself*, measured from evaluations of ``f``:

* truncation: each probe uses the Richardson pair of steps ``h`` and ``2h``; the difference
  of the two central differences estimates the h^2 term (and extrapolation removes it);
* noise: the rounding/run-to-run noise ``sigma`` of ``f`` comes from repeated evaluations
  at the point, a floor of a few ulps of ``f``, and the fourth difference of the probes
  (Moré & Wild's ECnoise idea: for smooth ``f`` it is ~h^4 f'''' ~ 0, so what is left is
  noise);
* the analytic gradient's own rounding in its dtype.

So a 1e8 offset in ``f`` or float32 arithmetic widens the tolerance exactly as much as the
numerics require, and no more. A failing probe is re-examined before it is called a bug:
if ``f`` is not smooth within the stencil (a kink of abs/relu was crossed: the fourth
difference is far above the noise) the probe is repeated with smaller steps; if no step
gives a smooth stencil the verdict is "inconclusive" with the reason, never "fail".

What is probed (all seeded, deterministic): a few signed random directions over all
parameters (cheap for large n: 4 evaluations each), one direction per parameter block, and
single coordinates sampled from every block; at the given point and a few nearby points.
On a failure every coordinate of the failing point is checked, so the table names the
culprit entries, worst first.

>>> import numpy as np
>>> f = lambda x: np.sum(np.sin(x))
>>> gradcheck(f, np.linspace(0, 1, 5), grad=np.cos).status
'pass'
>>> gradcheck(f, np.linspace(0, 1, 5), grad=lambda x: -np.cos(x)).status
'fail'
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .errors import BadOptionError, DiffcompareError

__all__ = ["gradcheck", "assert_gradcheck", "GradcheckResult", "Entry", "GradcheckError",
           "GradcheckInputError"]

_SQRT70 = math.sqrt(70.0)      # std of the 4th difference of unit iid noise


class GradcheckInputError(DiffcompareError):
    """Arguments gradcheck cannot use (not a function, params of the wrong kind...)."""


class GradcheckError(AssertionError):
    """Raised by ``assert_gradcheck``: the compact failure message, and ``.result``."""

    def __init__(self, result):
        super().__init__(result.summary())
        self.result = result


@dataclass(frozen=True)
class Entry:
    """One probe: a coordinate (``index`` a tuple) or a direction (``index`` None)."""
    name: str                # param name, or "dir:all" / "dir:<name>" for directions
    index: tuple | None
    point: int               # 0 = the given point, 1.. = nearby points
    analytic: float
    numeric: float
    abs_error: float
    rel_error: float
    expected: float          # expected error of the numerical derivative (the tolerance)
    step: float
    verdict: str             # "ok", "FAIL", "kink", "noise", "underflow"

    @property
    def ratio(self):
        return self.abs_error / self.expected if self.expected > 0 else \
            (math.inf if self.abs_error > 0 else 0.0)

    def label(self):
        if self.index is None:
            return self.name
        return f"{self.name}[{', '.join(str(i) for i in self.index)}]" if self.index else self.name


@dataclass
class GradcheckResult:
    status: str                       # "pass" / "fail" / "inconclusive"
    reason: str
    entries: list                     # worst first
    method: str
    steps: tuple                      # (smallest, largest) relative step used
    n_params: int
    evals: int
    points: int
    seed: int
    tol: float
    noise: list = field(default_factory=list)   # estimated sigma of f at each point

    def __bool__(self):
        return self.status == "pass"

    @property
    def failures(self):
        return [e for e in self.entries if e.verdict == "FAIL"]

    def summary(self, max_lines=30):
        """At most ``max_lines`` lines: the verdict, the method, the worst entries."""
        head = [f"gradcheck: {self.status.upper()} -- {self.reason}",
                f"  {self.n_params} params, {self.points} point(s), {self.evals} evaluations of f; "
                f"{self.method}; relative steps {self.steps[0]:.1e}..{self.steps[1]:.1e}; tol x{self.tol:g}"]
        rows = [e for e in self.entries if e.verdict != "ok"] or self.entries[:5]
        room = max(1, max_lines - len(head) - 2)
        lines = [f"  {'entry':<22} {'pt':>2} {'analytic':>12} {'numeric':>12} {'abs err':>9} "
                 f"{'rel err':>8} {'expected':>9}  verdict"]
        for e in rows[:room]:
            lines.append(f"  {e.label()[:22]:<22} {e.point:>2} {e.analytic:>12.5g} {e.numeric:>12.5g} "
                         f"{e.abs_error:>9.2e} {e.rel_error:>8.1e} {e.expected:>9.2e}  {e.verdict}")
        more = len(rows) - room
        if more > 0:
            lines.append(f"  ... {more} more")
        return "\n".join(head + lines)

    __str__ = summary

    def as_dict(self):
        return {"status": self.status, "reason": self.reason, "method": self.method,
                "steps": list(self.steps), "n_params": self.n_params, "evals": self.evals,
                "points": self.points, "seed": self.seed, "tol": self.tol, "noise": self.noise,
                "entries": [dict(name=e.name, index=None if e.index is None else list(e.index),
                                 point=e.point, analytic=e.analytic, numeric=e.numeric,
                                 abs_error=e.abs_error, rel_error=e.rel_error,
                                 expected=e.expected, step=e.step, verdict=e.verdict)
                            for e in self.entries]}


# --- the user's structures <-> one float64 vector ----------------------------------------

class _Layout:
    """Where each param lives in the flat vector, its dtype and shape; and how to call the
    user's ``f`` and ``grad`` on a flat vector (plain numpy, one array or a dict)."""

    def __init__(self, params):
        self.single = not isinstance(params, dict)
        items = {"x": params} if self.single else params
        if not items:
            raise GradcheckInputError("params is empty")
        self.names, self.shapes, self.dtypes, self.kinds, self.slices = [], [], [], [], []
        chunks, i = [], 0
        for name, v in items.items():
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, (float, int, np.ndarray, np.number, list, tuple)):
                raise GradcheckInputError(f"param {name!r} must be a float or an array, got {type(v).__name__}")
            a = np.asarray(v)
            if a.dtype.kind not in "fiu":
                raise GradcheckInputError(f"param {name!r} must be real numbers, got dtype {a.dtype}")
            dt = a.dtype if a.dtype.kind == "f" else np.dtype(np.float64)
            if not np.all(np.isfinite(a)):
                raise GradcheckInputError(f"param {name!r} holds a NaN or inf")
            self.names.append(str(name))
            self.shapes.append(a.shape)
            self.dtypes.append(dt)
            self.kinds.append("array" if isinstance(v, np.ndarray) else "scalar")
            self.slices.append(slice(i, i + a.size))
            chunks.append(a.astype(np.float64).ravel())
            i += a.size
        self.n = i
        self.theta = np.concatenate(chunks)
        self.eps_in = np.empty(self.n)
        for sl, dt in zip(self.slices, self.dtypes):
            self.eps_in[sl] = np.finfo(dt).eps
        self.all64 = all(dt == np.float64 for dt in self.dtypes)

    def quantize(self, theta):
        """theta as the param dtypes can hold it (float32 rounding), back in float64."""
        if self.all64:
            return theta
        out = theta.copy()
        for sl, dt in zip(self.slices, self.dtypes):
            if dt != np.float64:
                out[sl] = theta[sl].astype(dt).astype(np.float64)
        return out

    def unflatten(self, theta):
        vals = []
        for sl, shp, dt, kind in zip(self.slices, self.shapes, self.dtypes, self.kinds):
            chunk = theta[sl]
            vals.append(chunk.astype(dt).reshape(shp) if kind == "array" else dt.type(chunk[0])
                        if dt != np.float64 else float(chunk[0]))
        return vals[0] if self.single else dict(zip(self.names, vals))

    def flatten_grad(self, g):
        """The user's gradient as (float64 vector, per-entry eps of its dtype, problem)."""
        if self.single:
            g = {"x": g}
        elif not isinstance(g, dict):
            return None, None, f"grad returned {type(g).__name__}, expected a dict like params"
        out, eps = np.empty(self.n), np.empty(self.n)
        for name, sl, shp in zip(self.names, self.slices, self.shapes):
            if name not in g:
                return None, None, f"grad has no entry {name!r}"
            a = np.asarray(g[name])
            if a.shape != shp and not (a.size == 1 and int(np.prod(shp)) == 1):
                what = "grad" if self.single else f"grad[{name!r}]"
                return None, None, f"{what} has shape {a.shape}, the param {shp}"
            if a.dtype.kind not in "fiu":
                return None, None, f"grad[{name!r}] has dtype {a.dtype}"
            out[sl] = a.astype(np.float64).ravel()
            eps[sl] = np.finfo(a.dtype).eps if a.dtype.kind == "f" else np.finfo(np.float64).eps
        return out, eps, None

    def locate(self, k):
        """Flat index -> (name, index tuple)."""
        for name, sl, shp in zip(self.names, self.slices, self.shapes):
            if sl.start <= k < sl.stop:
                return name, tuple(int(i) for i in np.unravel_index(k - sl.start, shp)) if shp else ()
        raise IndexError(k)


def _user_functions(f, params, grad):
    """(f_plain, grad_plain, method label) from the user's arguments."""
    if not callable(f):
        raise GradcheckInputError(f"f must be callable, got {type(f).__name__}")
    if isinstance(grad, str):
        from .api import METHODS
        from .api import grad as dc_grad
        from .namespaces import NUMPY
        if grad not in METHODS:
            raise GradcheckInputError(f"unknown method {grad!r}; known: {', '.join(METHODS)}")
        if not isinstance(params, dict):
            raise GradcheckInputError("with a method name, f must be an xp-model f(params, xp) "
                                      "and params a dict")
        g = dc_grad(f, method=grad)
        return (lambda p: f(p, NUMPY)), g, grad
    if not callable(grad):
        raise GradcheckInputError("grad must be a callable returning the gradient, or a method "
                                  "name from diffcompare.METHODS")
    return f, grad, getattr(grad, "__name__", "grad")


# --- the probes ---------------------------------------------------------------------------

class _Checker:
    def __init__(self, f, layout, tol, max_evals):
        self.f, self.L, self.tol, self.max_evals = f, layout, tol, max_evals
        self.evals = 0
        self.steps = []

    def fval(self, theta):
        self.evals += 1
        try:
            y = self.f(self.L.unflatten(theta))
        except DiffcompareError:
            raise
        except Exception as e:          # the user's f failing is a finding about the input
            raise GradcheckInputError(f"f raised {type(e).__name__}: {e}") from None
        if np.ndim(y) != 0:
            raise GradcheckInputError(f"f returned an array of shape {np.shape(y)}; expected a scalar")
        return float(np.real(y))

    def stencil(self, x, v, h):
        """f at x + t v for t = -2h, -h, h, 2h (quantized), with the realized displacements."""
        L = self.L
        out = []
        for t in (-2 * h, -h, h, 2 * h):
            p = L.quantize(x + t * v)
            out.append((p - x, self.fval(p)))
        return out

    def analyse(self, st, f0, g, v, h, sigma, eps_g):
        """The error of the analytic directional derivative per unit t, and its expected size."""
        (dm2, fm2), (dm1, fm1), (dp1, fp1), (dp2, fp2) = st
        if not np.any(dp1 - dm1):
            return None                          # step underflow: every coordinate rounded away
        e1 = (fp1 - fm1) / (2 * h) - g @ (dp1 - dm1) / (2 * h)
        e2 = (fp2 - fm2) / (4 * h) - g @ (dp2 - dm2) / (4 * h)
        err = (4 * e1 - e2) / 3                  # Richardson: the h^2 term cancels
        trunc = abs(e2 - e1) / 3                 # the size of the h^2 term (a safe bound)
        noise = 0.95 * sigma / h                 # std of the extrapolated difference
        scale = float(np.abs(g * v) @ np.ones_like(v))
        analytic_round = 16 * float(np.abs(g * v) @ eps_g)
        d4 = fm2 - 4 * fm1 + 6 * f0 - 4 * fp1 + fp2
        # a kink crossed at distance << h gives |d4| ~ 4 h |jump|: the error it can explain
        kink = abs(d4) / (2 * h)
        expected = 5 * noise + trunc + analytic_round + kink
        smooth = abs(d4) <= 8 * sigma * _SQRT70
        return dict(err=err, expected=expected, trunc=trunc, noise=noise, scale=scale,
                    smooth=smooth, d4=d4, h=h, kink=kink)

    def probe(self, x, f0, g, v, h0, sigma, eps_g, hmax, direction=True):
        """One probe with step adaptation: larger steps while noise dominates truncation;
        a disagreement is a FAIL only if it is confirmed on a smooth stencil at a 16x smaller
        step too (a crossed kink changes with the step or shows in the 4th difference)."""
        an = lambda h: self.analyse(self.stencil(x, v, h), f0, g, v, h, sigma, eps_g)
        flagged = lambda r: abs(r["err"]) > self.tol * r["expected"]
        h, best = h0, an(h0)
        while best is None and h < hmax:          # underflow: grow the step
            h *= 8
            best = an(h)
        if best is None:
            self.steps.append(h)
            return dict(verdict="underflow", err=0.0, expected=math.inf, scale=0.0, h=h)
        for _ in range(2):                        # noise-dominated: a larger step helps
            if flagged(best) or not (best["smooth"] and best["trunc"] < 0.05 * best["noise"]
                                     and best["h"] * 8 <= hmax):
                break
            nxt = an(best["h"] * 8)
            if nxt is None or not nxt["smooth"] or nxt["expected"] >= best["expected"]:
                break
            best = nxt
        verdict = "ok"
        if flagged(best):
            verdict, r = "kink", best
            for _ in range(4):
                r2 = an(r["h"] / 16)
                if r2 is None:
                    break
                if not flagged(r2):
                    if abs(r["err"]) > 3 * self.tol * r2["expected"]:
                        verdict, best = "ok", r2      # the disagreement vanished: a kink
                    elif r["smooth"]:
                        verdict = "FAIL"              # too noisy to refute: trust h
                    break
                if r["smooth"] and r2["smooth"]:
                    verdict, best = "FAIL", (r if abs(r["err"]) / r["expected"] >=
                                             abs(r2["err"]) / r2["expected"] else r2)
                    break
                r = r2
            best = dict(best)
        if verdict == "ok" and abs(best["err"]) > self.tol * (best["expected"] - best["kink"]):
            verdict = "kink"                      # agreement only thanks to the kink allowance
        if verdict == "ok" and direction and best["scale"] > 0 and \
                best["expected"] > 0.5 * best["scale"]:
            # the probe cannot resolve the gradient: say why (a kink forced tiny steps, or noise)
            verdict = "kink" if best["h"] < h0 / 8 or not best["smooth"] else "noise"
        best["verdict"] = verdict
        self.steps.append(best["h"])
        return best


def gradcheck(f, params, grad=None, *, seed=0, points=3, directions=4, coords=4, tol=1.0,
              radius=0.05, max_coords=4096, max_evals=None):
    """Check ``grad`` against ``f`` at ``params`` and a few nearby points.

    ``f``: the user's plain numpy function of one array (``params`` an array) or of a dict
    of arrays; ``grad``: a callable returning the same structure, or a method name from
    ``diffcompare.METHODS`` (then ``f`` is an xp-model ``f(params, xp)``).
    ``points``: the given point plus ``points - 1`` nearby ones (each entry moved by
    ``radius`` times its block's scale); ``directions``: signed random directions over all
    params per point; ``coords``: coordinates sampled per block per point; ``tol``: a factor
    on the error model's expected error (1 = as modelled). Returns a ``GradcheckResult``.
    """
    if grad is None:
        raise GradcheckInputError("grad is required: a callable or a method name")
    if not (isinstance(tol, (int, float)) and tol > 0 and math.isfinite(tol)):
        raise BadOptionError(f"tol must be a positive number, got {tol!r}")
    if int(points) < 1 or int(directions) < 0 or int(coords) < 0:
        raise BadOptionError("points must be >= 1, directions and coords >= 0")
    fp, gp, label = _user_functions(f, params, grad)
    L = _Layout(params)
    rng = np.random.default_rng(seed)
    C = _Checker(fp, L, float(tol), max_evals)

    # per-entry scale: the entry's magnitude, or its block's rms, or 1 for an all-zero block
    scale = np.abs(L.theta).copy()
    for sl in L.slices:
        blk = L.theta[sl]
        rms = float(np.sqrt(np.mean(blk * blk))) if blk.size else 0.0
        scale[sl] = np.maximum(scale[sl], rms if rms > 0 else 1.0)

    pts = [L.theta]
    for _ in range(int(points) - 1):
        pts.append(L.quantize(L.theta + radius * scale * rng.standard_normal(L.n)))

    entries, noises, problems, fail_points = [], [], [], []
    for ip, x in enumerate(pts):
        try:
            g_user = gp(params if ip == 0 and not isinstance(grad, str) else L.unflatten(x))
        except DiffcompareError:
            raise
        except Exception as e:
            raise GradcheckInputError(f"grad raised {type(e).__name__}: {e}") from None
        g, eps_g, problem = L.flatten_grad(g_user)
        if problem:
            entries.append(Entry("grad", None, ip, math.nan, math.nan, math.inf, math.inf, 0.0,
                                 0.0, "FAIL"))
            return _finish("fail", f"the gradient's structure is wrong: {problem}", entries, L, C,
                           len(pts), seed, noises)
        if not np.all(np.isfinite(g)):
            k = int(np.argmax(~np.isfinite(g)))
            name, idx = L.locate(k)
            problems.append(f"grad is not finite at {name}{list(idx)} (point {ip})")
        f_rep = [C.fval(x) for _ in range(3)]
        f0 = f_rep[0]
        eps_out = max(float(np.max(L.eps_in)), 2.2e-16) if not L.all64 else 2.2e-16
        try:
            eps_out = max(np.finfo(np.asarray(fp(L.unflatten(x))).dtype).eps, 2.2e-16)
            C.evals += 1
        except (TypeError, ValueError):
            pass
        sigma_floor = 2 * eps_out * abs(f0) + (max(f_rep) - min(f_rep))
        eps_h = max(float(np.max(L.eps_in)), eps_out)
        h0, hmax = eps_h ** (1 / 3), 0.5

        # the probes of this point: random signed directions, one per block, sampled coords
        vecs = []
        for k in range(int(directions)):
            vecs.append(("dir:all", None, rng.choice((-1.0, 1.0), L.n) * scale))
        for name, sl in zip(L.names, L.slices):
            if len(L.names) > 1 and sl.stop - sl.start > 1:
                v = np.zeros(L.n)
                v[sl] = rng.choice((-1.0, 1.0), sl.stop - sl.start) * scale[sl]
                vecs.append((f"dir:{name}", None, v))
            m = sl.stop - sl.start
            for k in sorted(rng.choice(m, size=min(int(coords), m), replace=False)):
                vecs.append(_coord(L, sl.start + int(k), scale))

        # pass 1: noise from 4th differences on tiny stencils (ECnoise-like): at h0/256 the
        # h^4 f'''' term is nil. Noise does not shrink with the step, a crossed kink does
        # (~ its distance), so each probe keeps the smaller of two scales; the median over
        # probes ignores the few that still straddle a kink.
        d4s = []
        for _, _, v in vecs[: min(len(vecs), 12)]:
            d4 = []
            for dh in (h0 / 256, h0 / 4096):
                (_, fm2), (_, fm1), (_, fp1), (_, fp2) = C.stencil(x, v, dh)
                d4.append(abs(fm2 - 4 * fm1 + 6 * f0 - 4 * fp1 + fp2) / _SQRT70)
            d4s.append(min(d4))
        sigma = max(sigma_floor, 2 * float(np.median(d4s)) if d4s else 0.0,
                    np.finfo(float).tiny)
        noises.append(sigma)

        found_fail = False
        for name, idx, v in vecs:
            r = C.probe(x, f0, g, v, h0, sigma, eps_g, hmax, direction=idx is None)
            entries.append(_entry(name, idx, ip, g, v, r))
            found_fail |= r["verdict"] == "FAIL"
        if found_fail:
            fail_points.append((ip, x, f0, g, eps_g, sigma, h0, hmax))

    # escalate: every coordinate (up to max_coords) where a probe failed, to name the culprits
    for ip, x, f0, g, eps_g, sigma, h0, hmax in fail_points[:1]:
        ks = np.arange(L.n) if L.n <= max_coords else np.sort(rng.choice(L.n, max_coords, replace=False))
        seen = {(e.name, e.index) for e in entries if e.point == ip and e.index is not None}
        for k in ks:
            name, idx, v = _coord(L, int(k), scale)
            if (name, idx) in seen:
                continue
            r = C.probe(x, f0, g, v, h0, sigma, eps_g, hmax, direction=False)
            entries.append(_entry(name, idx, ip, g, v, r))

    verdicts = {e.verdict for e in entries}
    fails = [e for e in entries if e.verdict == "FAIL"]
    if fails:
        w = max(fails, key=lambda e: (e.index is not None, e.ratio))
        status, reason = "fail", (f"{len(fails)} probe(s) disagree beyond the numerical error; "
                                  f"worst {w.label()} at point {w.point}: analytic {w.analytic:.6g}, "
                                  f"numeric {w.numeric:.6g} (expected error {w.expected:.1e})")
    elif problems:
        status, reason = "fail", problems[0]
    elif verdicts - {"ok"}:
        bad = [e for e in entries if e.verdict != "ok"]
        kinds = sorted({e.verdict for e in bad})
        why = {"kink": "f is not smooth within the stencil at every step tried (a kink of "
                       "abs/relu/max at or very near the point)",
               "noise": "the noise of f makes the numerical derivative too inexact to judge "
                        "(expected error > half the gradient's size)",
               "underflow": "the step underflows: x + h*v rounds back to x in the params' dtype"}
        status = "inconclusive"
        reason = "; ".join(f"{why[k]} [{sum(e.verdict == k for e in bad)} probe(s), e.g. "
                           f"{next(e for e in bad if e.verdict == k).label()}]" for k in kinds)
    else:
        worst = max((e.abs_error / max(e.expected, 1e-300) for e in entries), default=0.0)
        status, reason = "pass", (f"{len(entries)} probes agree within the modelled numerical "
                                  f"error (worst at {worst:.2f} of it)")
    return _finish(status, reason, entries, L, C, len(pts), seed, noises)


def _coord(L, k, scale):
    v = np.zeros(L.n)
    v[k] = scale[k]
    name, idx = L.locate(k)
    return name, idx, v


def _entry(name, idx, ip, g, v, r):
    a = float(g @ v)
    err, exp_ = float(r["err"]), float(r["expected"])
    if idx is not None:                          # report per-entry derivatives, not per unit t
        s = float(v[np.flatnonzero(v)[0]])
        a, err, exp_ = a / s, err / s, exp_ / s
    num = a + err
    rel = abs(err) / max(abs(a), abs(num), 1e-300)
    return Entry(name, idx, ip, a, num, abs(err), rel, exp_, float(r["h"]), r["verdict"])


def _finish(status, reason, entries, L, C, npts, seed, noises):
    order = {"FAIL": 0, "kink": 1, "noise": 2, "underflow": 3, "ok": 4}
    # coordinates before directions: they name the culprit entries
    entries = sorted(entries, key=lambda e: (order[e.verdict], e.index is None, -e.ratio))
    steps = (min(C.steps), max(C.steps)) if C.steps else (0.0, 0.0)
    return GradcheckResult(status, reason, entries,
                           "central differences along signed random directions and sampled "
                           "coordinates, Richardson pair (h, 2h)", steps, L.n, C.evals, npts,
                           seed, C.tol, noises)


def assert_gradcheck(f, params, grad=None, *, allow_inconclusive=True, **options):
    """``gradcheck`` that raises ``GradcheckError`` (an AssertionError) on "fail" (and on
    "inconclusive" if ``allow_inconclusive`` is False); returns the result otherwise."""
    res = gradcheck(f, params, grad, **options)
    if res.status == "fail" or (res.status == "inconclusive" and not allow_inconclusive):
        raise GradcheckError(res)
    return res
