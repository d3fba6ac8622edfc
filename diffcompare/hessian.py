"""Second derivatives, three ways: ``hessian(f, method)(params) -> (n, n)`` over the params'
one flat layout (``params.Layout``), and ``hvp(f, method)(params, v) -> dict like params``.

Methods:

=====================  ======================================================================
``autodiff``           forward-over-reverse: the tape's forward pass replayed on dual numbers
                       (tangent ``v``), then the SAME reverse sweep run in the FORWARD
                       namespace -- every cotangent a dual whose tangent is ``H v``. No second
                       table: the elementwise partials and the structural vjps are written
                       against ``xp``. A Hessian is ``n`` such products, in chunks of
                       directions pushed together.
``symbolic``           SymPy's Hessian, lambdified with cse (``symbolic.make_hessian``).
``central``            second differences of f, h ~ u^(1/4): error ~ u^(1/2).
``central-grad``       central differences of the exact (autodiff) gradient, h ~ u^(1/3):
                       error ~ u^(2/3).
``richardson``,        each of the two above extrapolated from h and h/2 (order 4), with
``richardson-grad``    steps ~ u^(1/6) and u^(1/5).
``autograd``           ``autograd.hessian`` / its Hessian-vector product: the reference.
=====================  ======================================================================

The automatic steps come from each scheme's error model (truncation ``C h^p`` against
round-off ``R u / h^q`` with unit derivatives, scaled by ``max(1, |x|)``), realised as
``(x + h) - x`` in the params' dtype like the first-order schemes.
"""
from __future__ import annotations

import time

import numpy as np

from . import forward, tracer
from .errors import BadOptionError, UnknownNameError
from .params import Layout, check_params, scalar_output
from .vocabulary import NUMPY

__all__ = ["HESSIAN_METHODS", "hessian", "hvp", "HessianFn", "forward_over_reverse", "STEP_RULES",
           "Differences", "auto_step"]

HESSIAN_METHODS = ("autodiff", "symbolic", "central", "central-grad", "richardson", "richardson-grad",
                   "autograd")
CHUNK = 64           # directions pushed through one forward-over-reverse sweep, at most,
CHUNK_BYTES = 1 << 19  # and fewer when one tangent of the model's largest value would pass this:
                       # the sweep's arrays then stay in a core's share of cache (MLP 2-32-32-1:
                       # 32 directions a sweep take 0.7x the time of 64)

# scheme -> (truncation order p, round-off power q, (c, p + q)): the optimal step with unit
# derivatives and |f| = 1 is h* = (c u)^(1/(p+q)). The constants are the error model's
# (``experiments/second_order_sweep``: the stencils' Taylor moments against RMS round-off),
# the geometric mean of a diagonal entry's and an off-diagonal one's where they differ.
STEP_RULES = {
    "central": (2, 2, (3.8, 4)),             # (f(x+h) - 2 f + f(x-h)) / h^2: diagonal 17, off 0.87
    "central-grad": (2, 1, (1.7, 3)),        # (g(x+h) - g(x-h)) / 2h
    "richardson": (4, 2, (850.0, 6)),        # (4 D(h/2) - D(h)) / 3 of the above: diagonal 7400, off 98
    "richardson-grad": (4, 1, (260.0, 5)),
}


def auto_step(scheme, x, dtype=np.float64):
    """The error model's optimal step for ``scheme`` at ``x`` in ``dtype``, as a realised
    machine step ``(x + h) - x``."""
    u = float(np.finfo(dtype).eps) / 2
    c, k = STEP_RULES[scheme][2]
    h = (c * u) ** (1.0 / k) * max(1.0, abs(float(x)))
    h = 2.0 ** round(np.log2(h))
    xd = np.asarray(x, dtype=dtype)
    return float((xd + np.asarray(h, dtype=dtype)) - xd)


# --- autodiff: forward-over-reverse ---------------------------------------------------------

def _dual_sweep(f, params, tangents):
    """The tape of ``f`` at ``params``, replayed on dual numbers (``tangents``: name -> the
    directions' tangent of that param, (m, *shape)), then swept in reverse over the duals:
    ``(tape, cotangents)``, each input's cotangent a dual whose tangent is H times the
    directions."""
    tape = tracer.record(f, params)
    seeds = {tape.inputs[name]: t for name, t in tangents.items()}
    Dual, tangent = forward.Dual, forward.tangent
    duals, entries = [], []
    for i, (prim, links, args, out, kw) in enumerate(tape.entries):
        if prim is None:
            t = seeds.get(i)
            v = out if t is None else Dual(out, t)        # other leaves are constants
            duals.append(v)
            entries.append((None, (), (), v, None))
            continue
        if len(links) == 1:
            pos, p = links[0]
            a = (duals[p],) if len(args) == 1 else args[:pos] + (duals[p],) + args[pos + 1:]
        elif len(args) == 2:                             # both arguments traced: links (0, i), (1, j)
            a = (duals[links[0][1]], duals[links[1][1]])
        else:
            a = list(args)
            for pos, p in links:
                a[pos] = duals[p]
            a = tuple(a)
        v = tangent(prim, out, args, a, kw or _NO_KW)  # the recorded primal, its tangent
        duals.append(v)
        entries.append((prim, links, a, v, kw))
    dual_tape = tracer.Tape()
    dual_tape.entries, dual_tape.labels, dual_tape.inputs, dual_tape.output, dual_tape.lead = \
        entries, tape.labels, tape.inputs, tape.output, tape.lead
    # seeded with 1 in the output's own type, as the plain sweep is: a float32 model stays float32
    value = tape.value
    seed = value.dtype.type(1) if isinstance(value, np.floating) and value.dtype == np.float32 else 1.0
    return tape, dual_tape.backward(seed=seed, xp=forward.FORWARD)


def _working_dtype(params):
    """float32 when every param is float32 (the sweep then stays in float32), else float64."""
    kinds = {np.result_type(v) for v in params.values()}
    return np.dtype(np.float32) if kinds == {np.dtype(np.float32)} else np.dtype(np.float64)


@tracer.collector_paused
def forward_over_reverse(f, params, directions, L=None):
    """``(value, grads, HV)``: the gradient and the Hessian times each row of ``directions``
    (an (m, n) array over the params' layout ``L``), by one reverse sweep on dual numbers."""
    L = Layout(params) if L is None else L
    m = directions.shape[0]
    directions = np.asarray(directions, dtype=_working_dtype(params))
    tape, bars = _dual_sweep(f, params, {name: directions[:, sl].reshape((m,) + shape)
                                         for name, sl, shape in zip(L.names, L.slices, L.shapes)})
    grads, hv = {}, np.zeros((m, L.n))
    for name, sl in zip(L.names, L.slices):
        g = bars.get(tape.inputs[name], 0.0)
        if g.__class__ is forward.Dual:
            hv[:, sl] = g.tangent.reshape((m, -1))
            g = g.value
        grads[name] = g
    return tape.value, grads, hv


_NO_STATS = {}
_NO_KW = {}


def _autodiff(f, params, **options):
    _no_options("autodiff", options)
    L = Layout(params)
    dtype = _working_dtype(params)
    parts = list(zip(L.names, L.shapes, L.scalars))

    ones = [(1,) + shape for shape in L.shapes]            # one direction's tangent shapes
    Dual = forward.Dual

    @tracer.collector_paused
    def hvp_call(params, v):
        # one direction, straight from v's arrays to the result's: no flat vectors
        tangents = {}
        for (name, _, _), shape in zip(parts, ones):
            a = v[name]
            tangents[name] = (a if a.__class__ is np.ndarray and a.dtype == dtype
                              else np.asarray(a, dtype=dtype)).reshape(shape)
        tape, bars = _dual_sweep(f, params, tangents)
        out, get = {}, bars.get
        for i, ((name, shape, scalar), shape1) in enumerate(zip(parts, ones)):
            g = get(i)                                     # the leaves are the first entries
            t = g.tangent if g.__class__ is Dual else np.zeros(shape1, dtype)
            out[name] = float(t[0]) if scalar else t.reshape(shape)
        return tape.value, out, _NO_STATS

    @tracer.collector_paused
    def hess_call(params):
        biggest = max((np.size(e[3]) for e in tracer.record(f, params).entries), default=1)
        step = max(1, min(CHUNK, CHUNK_BYTES // (8 * max(biggest, 1))))
        H = np.zeros((L.n, L.n))
        value = None
        for lo in range(0, L.n, step):
            hi = min(lo + step, L.n)
            rows = np.zeros((hi - lo, L.n))
            rows[np.arange(hi - lo), np.arange(lo, hi)] = 1.0
            value, _, H[lo:hi] = forward_over_reverse(f, params, rows, L)
        return value, H, {"sweeps": (L.n + step - 1) // step, "directions_per_sweep": step}
    return hvp_call, hess_call


# --- finite differences ---------------------------------------------------------------------

class Differences:
    """A finite-difference scheme for second derivatives of ``f`` around ``params``' layout:
    ``entry(theta, i, j, h)`` one Hessian entry (what the V-curves sweep), ``hessian`` and
    ``hvp`` all of them. Steps are *realised* per coordinate, ``h_k = (x_k + h) - x_k`` in the
    params' dtype, so every point is a machine number and the quotient divides by the step
    actually taken (the Richardson half step too)."""

    def __init__(self, f, params, scheme):
        self.scheme, self.L = scheme, Layout(params)
        L = self.L
        self.dtype = np.result_type(*[np.asarray(v).dtype for v in params.values()], np.float32)
        self.richardson = scheme.startswith("richardson")
        self.value_of = lambda theta: float(scalar_output(f(L.unflatten(theta), NUMPY)))
        self.grad_of = None
        if scheme.endswith("-grad"):
            g = tracer.make(f, params)
            self.grad_of = lambda theta: L.flatten(g(L.unflatten(theta))[1])

    def steps(self, theta, h=None):
        """``(hs, halves)``: the realised step of every coordinate, and of half of it."""
        dt = self.dtype.type
        hs = np.empty(len(theta))
        halves = np.empty(len(theta))
        for k, x in enumerate(theta):
            step = auto_step(self.scheme, x, self.dtype) if h is None else float(h)
            for out, s in ((hs, step), (halves, step / 2)):
                out[k] = float((dt(x) + dt(s)) - dt(x))
                if out[k] == 0.0:
                    raise BadOptionError(f"step h={s:.3g} vanishes next to x={float(x):.6g} in "
                                         f"{np.dtype(self.dtype).name} (x + h rounds back to x)")
        return hs, halves

    def entry(self, theta, i, j, hs, halves):
        """``(H[i, j], evaluations)`` by this scheme."""
        if self.grad_of is not None:
            col, e = self._column(theta, j, hs[j], halves[j])
            return col[i], e
        d, e = _second_difference(self.value_of, theta, i, j, hs[i], hs[j])
        if not self.richardson:
            return d, e
        d2, e2 = _second_difference(self.value_of, theta, i, j, halves[i], halves[j])
        return (4.0 * d2 - d) / 3.0, e + e2

    def _column(self, theta, j, h, half):
        """H[:, j]: central differences of the gradient along coordinate j (Richardson:
        extrapolated from h and h/2)."""
        e_j = np.zeros(len(theta))
        e_j[j] = 1.0
        d, e = _grad_diff(self.grad_of, theta, e_j, h)
        if not self.richardson:
            return d, e
        d2, e2 = _grad_diff(self.grad_of, theta, e_j, half)
        return (4.0 * d2 - d) / 3.0, e + e2

    def hessian(self, theta, h=None):
        hs, halves = self.steps(theta, h)
        n = len(theta)
        H, evals = np.zeros((n, n)), 0
        for j in range(n):
            if self.grad_of is not None:
                H[:, j], e = self._column(theta, j, hs[j], halves[j])
                evals += e
                continue
            for i in range(j + 1):
                H[i, j], e = self.entry(theta, i, j, hs, halves)
                H[j, i] = H[i, j]
                evals += e
        return H, evals, float(np.median(hs))

    def hvp(self, theta, v, h=None):
        hs, _ = self.steps(theta, h)
        scale = max(float(np.max(np.abs(v))), 1e-300)
        hv = float(np.median(hs)) / scale
        if self.grad_of is not None:
            d, e = _grad_diff(self.grad_of, theta, v, hv)
            if self.richardson:
                d2, e2 = _grad_diff(self.grad_of, theta, v, hv / 2)
                d, e = (4.0 * d2 - d) / 3.0, e + e2
            return d, e, hv
        n, out, evals = len(theta), np.zeros(len(theta)), 0
        for i in range(n):                     # d/dx_i of the directional second difference
            e_i = np.zeros(n)
            e_i[i] = hs[i]
            f = lambda a, b: self.value_of(theta + a * e_i + b * hv * v)
            out[i] = (f(1, 1) - f(1, -1) - f(-1, 1) + f(-1, -1)) / (4.0 * hs[i] * hv)
            evals += 4
        return out, evals, hv


def _fd(scheme):
    def make(f, params, h=None, **options):
        _no_options(scheme, options)
        if h is not None and not (isinstance(h, (int, float)) and not isinstance(h, bool) and h > 0
                                  and np.isfinite(h)):
            raise BadOptionError(f"the step h must be a positive finite number, got {h!r}")
        fd = Differences(f, params, scheme)

        def hess_call(params):
            theta = fd.L.flatten(params)
            H, evals, hm = fd.hessian(theta, h)
            return fd.value_of(theta), H, {"evals": evals, "h": hm}

        def hvp_call(params, v):
            theta = fd.L.flatten(params)
            hv, evals, hm = fd.hvp(theta, fd.L.flatten(v), h)
            return fd.value_of(theta), hv, {"evals": evals, "h": hm}
        return hvp_call, hess_call
    return make


def _second_difference(value_of, theta, i, j, hi, hj):
    """d2f / dx_i dx_j by the central stencil (the 3-point one on the diagonal)."""
    def at(di, dj):
        t = theta.copy()
        t[i] += di
        t[j] += dj
        return value_of(t)
    if i == j:
        return (at(hi, 0.0) - 2.0 * value_of(theta) + at(-hi, 0.0)) / (hi * hi), 3
    return (at(hi, hj) - at(hi, -hj) - at(-hi, hj) + at(-hi, -hj)) / (4.0 * hi * hj), 4


def _grad_diff(grad_of, theta, v, h):
    """(grad(theta + h v) - grad(theta - h v)) / 2h."""
    return (grad_of(theta + h * v) - grad_of(theta - h * v)) / (2.0 * h), 2


# --- the reference and symbolic -------------------------------------------------------------

def _autograd(f, params, **options):
    _no_options("autograd", options)
    import autograd

    from .namespaces import AUTOGRAD
    L = Layout(params)
    fun = lambda theta: f(L.split(theta), AUTOGRAD)
    hess = autograd.hessian(fun)
    hvp_fn = autograd.grad(lambda theta, v: autograd.numpy.dot(autograd.grad(fun)(theta), v))

    def hess_call(params):
        theta = L.flatten(params)
        return float(fun(theta)), np.asarray(hess(theta)), {}

    def hvp_call(params, v):
        theta = L.flatten(params)
        return float(fun(theta)), np.asarray(hvp_fn(theta, L.flatten(v))), {}
    return hvp_call, hess_call


def _symbolic(f, params, **options):
    from . import symbolic
    hess_call = symbolic.make_hessian(f, params, **options)
    L = Layout(params)

    def hvp_call(params, v):
        value, H, stats = hess_call(params)
        return value, H @ L.flatten(v), stats
    return hvp_call, hess_call


def _no_options(method, options):
    if options:
        raise BadOptionError(f"second derivatives by {method!r} take no options; got "
                             f"{', '.join(map(repr, options))}")


_BACKENDS = {"autodiff": _autodiff, "symbolic": _symbolic, "autograd": _autograd,
             **{s: _fd(s) for s in STEP_RULES}}


class HessianFn:
    """``hessian(f, method)`` / ``hvp(f, method)`` as an object; ``info`` holds what the last
    call cost (``setup_s``, ``call_s``, the method's own counts: ``evals``, ``h``...)."""

    def __init__(self, f, method, product, **options):
        if method not in _BACKENDS:
            raise UnknownNameError(f"unknown second-derivative method {method!r}; known: "
                                   f"{', '.join(HESSIAN_METHODS)}")
        self.f, self.method, self.options, self.product = f, method, options, product
        self._key = self._calls = None
        self.info = {"method": method}

    def _prepare(self, params):
        key = _structure(params) if params.__class__ is dict else None
        if key is not None and key == self._key:
            return params                         # checked when this structure was first seen
        params = check_params(params)
        key = _structure(params)
        if key != self._key:
            t0 = time.perf_counter()
            self._calls = _BACKENDS[self.method](self.f, params, **self.options)
            self.info["setup_s"] = time.perf_counter() - t0
            self._key, self.layout = key, Layout(params)
        return params

    def __call__(self, params, v=None):
        params = self._prepare(params)
        t0 = time.perf_counter()
        if self.product:
            if v is None:
                raise BadOptionError("hvp(f)(params, v) needs a direction v shaped like params")
            if not (v.__class__ is dict and _structure(v) == self._key):
                v = check_params(v)
                if not self.layout.same(v):
                    raise BadOptionError("v must have the params' names and shapes")
            _, out, stats = self._calls[0](params, v)
            if out.__class__ is not dict:
                out = self.layout.unflatten(np.asarray(out, dtype=float), cast=False)
        else:
            _, out, stats = self._calls[1](params)
        self.info["call_s"] = time.perf_counter() - t0
        if stats:
            self.info.update(stats)
        return out


def _structure(params):
    return [(k, v.__class__, getattr(v, "shape", None), getattr(v, "dtype", None)) for k, v in params.items()]


def hessian(f, method="autodiff", **options):
    """``hessian(f, method)(params) -> H``, an (n, n) array over ``params.Layout(params)``."""
    return HessianFn(f, method, False, **options)


def hvp(f, method="autodiff", **options):
    """``hvp(f, method)(params, v) -> H v``, a dict shaped like params."""
    return HessianFn(f, method, True, **options)
