"""The ``symbolic`` method: SymPy gradients of the SAME model, ``lambdify``-ed with ``cse``.

``make`` does the one-off work -- build the expression (see ``expressions``), differentiate,
``cse``, lambdify -- in a child process under a CPU budget (``diffcompare.budget``; past it
an ``IntractableError``, a finding, never a hang: SymPy cannot be interrupted inside long
big-int work or a ``compile`` of huge generated code). The returned ``call(params)``
evaluates the compiled derivative under IEEE semantics (``evaluate``), so log at 0 is -inf
and 1/x at 0 is inf, as every other method returns them.

Per-sample data are evaluated vectorised over the data columns; the decomposition (the
model is the mean, or the sum, of its one-row expression) is checked numerically against
``f(params, NUMPY)`` at two points, and a model that is not (it normalises over the batch,
say) falls back to substituting the full data, which is always correct --
``stats["per_sample"]`` says which.
"""
from __future__ import annotations

import time

import numpy as np
import sympy

from .. import budget as runner
from ..errors import BadOptionError, DiffcompareError
from ..namespaces import NUMPY
from ..params import Layout
from .defaults import SETUP_BUDGET, SymbolicSetupError
from .evaluate import EVALUATORS, compile_exprs
from .expressions import build, flat_exprs
from .reverse import reverse_gradient
from .sizes import cse_ops, fast_cse, tree_size

__all__ = ["make", "compiled", "gradient", "built_gradient", "ENGINES", "AUTO_DIFF_MAX", "inputs", "evaluate", "cse_parts",
           "drop_deltas", "run_setup"]

ENGINES = ("auto", "diff", "reverse")
AUTO_DIFF_MAX = 32    # scalar params up to which "auto" uses sympy.diff (see make)


def built_gradient(f, params, per_sample, engine):
    """The first half of a setup, in the child: SymPy's cache cleared, the model built, its
    gradient -> (ModelExpr, engine used, gradient expressions, build seconds, diff seconds)."""
    sympy.core.cache.clear_cache()
    t0 = time.perf_counter()
    me = build(f, params, per_sample=per_sample)
    t1 = time.perf_counter()
    engine, grads = gradient(f, params, me, engine)
    return me, engine, grads, t1 - t0, time.perf_counter() - t1


def _prepare(f, params, per_sample, cse, engine, evaluator="auto"):
    """Child side of ``make``: build, differentiate, cse (and a trial compile, so its cost
    is known to fit the budget). Returns flat, picklable pieces."""
    me, engine, grads, build_s, diff_s = built_gradient(f, params, per_sample, engine)
    t2 = time.perf_counter()
    exprs = [me.expr] + grads
    (tree_f, *trees), dag = tree_size(exprs)
    repl, red, ops = cse_parts(exprs, cse, fast=engine == "reverse")
    t3 = time.perf_counter()
    args = me.flat_params() + me.data_args()
    compile_exprs(args, repl, red, evaluator)
    t4 = time.perf_counter()
    stats = {"engine": engine, "expr_tree": tree_f, "grad_tree": sum(trees), "dag_size": dag,
             "build_s": build_s, "diff_s": diff_s, "cse_s": t3 - t2, "lambdify_s": t4 - t3}
    if ops is not None:
        stats["cse_ops"] = ops
    return me, repl, red, args, stats


def gradient(f, params, me, engine="auto"):
    """(engine used, the gradient's expressions in the params' flat order): ``sympy.diff`` by
    every parameter, or the primitive table's reverse sweep on SymPy values."""
    ps = me.flat_params()
    if engine == "auto":
        engine = "diff" if len(ps) <= AUTO_DIFF_MAX else "reverse"
    if engine == "diff":
        return engine, [drop_deltas(sympy.diff(me.expr, s)) for s in ps]
    return engine, flat_exprs(reverse_gradient(f, params, me)[0])


def cse_parts(exprs, cse, fast=False):
    """(replacements, reduced expressions, ops after cse or None) -- no cse: ([], exprs, None)."""
    if not cse:
        return [], list(exprs), None
    repl, red = fast_cse(exprs) if fast else sympy.cse(exprs)
    return repl, red, cse_ops(repl, red)


def drop_deltas(e):
    """d step/dx = DiracDelta(x): the table's step and sign have no gradient (zero almost
    everywhere), and numpy has no DiracDelta -- take the a.e. derivative, as autodiff does."""
    return e.replace(sympy.DiracDelta, lambda *a: sympy.S.Zero) if e.has(sympy.DiracDelta) else e


def run_setup(fn, f, *args, budget, what):
    """``fn(f, *args)`` in a budgeted child; an unexpected exception becomes a typed
    ``SymbolicSetupError`` naming the model, never a raw traceback."""
    try:
        return runner.run(fn, f, *args, cpu=budget, what=what, deep=True)
    except DiffcompareError as e:
        if "truth value of Relational" not in str(e):
            raise
        raise SymbolicSetupError(
            f"symbolic setup of {getattr(f, 'name', 'the model')} failed: the model branches on a parameter "
            "(a Python if or comparison on a value that depends on params), and a symbol has no truth value; "
            "write the branch with xp.maximum / xp.step, or use autodiff") from None
    except Exception as e:       # a rule that does not run on SymPy values, say
        first = str(e).splitlines()[0][:200] if str(e) else ""
        raise SymbolicSetupError(f"symbolic setup of {getattr(f, 'name', 'the model')} failed: "
                                 f"{type(e).__name__}: {first}") from e


def make(f, params, budget=SETUP_BUDGET, cse=True, per_sample=True, engine="auto", evaluator="auto"):
    """The ``symbolic`` method: the gradient as SymPy expressions, compiled (with ``cse``)
    to numpy. ``engine="diff"`` is ``sympy.diff`` w.r.t. every parameter; ``"reverse"``
    runs the primitive table's reverse sweep on SymPy values (one sweep for all parameters:
    ``sympy.diff`` of the default 337-parameter MLP takes ~100 s here, the sweep under 1 s);
    ``"auto"`` takes ``diff`` up to AUTO_DIFF_MAX scalar parameters. Setup runs in a child
    under ``budget`` CPU seconds (IntractableError past it), with SymPy's cache cleared.
    ``evaluator``: what compiles the derivative for the calls -- "symengine" (SymEngine's
    Lambdify), "sympy" (SymPy's lambdify), "auto" (SymEngine when installed); ``stats``
    names it."""
    outputs, unflatten, stats = compiled(_prepare, f, params, budget, cse, per_sample, engine, evaluator,
                                         what="symbolic setup (diff, cse, lambdify)")

    def call(params):
        out = outputs(params)
        return float(out[0]), unflatten(out[1:]), dict(stats)
    return call


def compiled(prepare, f, params, budget, cse, per_sample, engine, evaluator, what):
    """The one-off work of a symbolic method: ``prepare(f, params, per_sample, cse, engine,
    evaluator) -> (ModelExpr, cse replacements, reduced outputs, args, stats)`` in a budgeted
    child, then compiled here, the per-sample decomposition checked (else the full data
    substituted). Returns (params -> the outputs as floats, theta -> params, stats)."""
    if engine not in ENGINES:
        raise BadOptionError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if evaluator not in EVALUATORS:
        raise BadOptionError(f"evaluator must be one of {', '.join(EVALUATORS)}, got {evaluator!r}")
    me, repl, red, args, stats = run_setup(prepare, f, params, per_sample, cse, engine, evaluator,
                                           budget=budget, what=what)
    fn = compile_exprs(args, repl, red, evaluator)
    data = dict(getattr(f, "data", {}) or {})
    reduce = None
    if me.row_syms:
        reduce = _check_decomposition(fn, me, f, data, params)
        if reduce is None:                   # not a per-sample mean or sum: substitute all
            return compiled(prepare, f, params, budget, cse, False, engine, evaluator, what)
    stats["per_sample"] = bool(me.row_syms)
    stats["samples"] = me.n_samples
    stats["evaluator"] = fn.kind
    x_of, (flatten, unflatten) = inputs(me, data), _flat_layout(params)
    return (lambda params: evaluate(fn, x_of(flatten(params)), reduce, me.n_samples)), unflatten, stats


def _flat_layout(params):
    """(flatten, unflatten) of the params layout; for scalar params a plain list of floats,
    which costs a tenth of the general layout on a chain's 80 scalars (the call is ~10 us)."""
    if not all(v.__class__ is float for v in params.values()):
        layout = Layout(params)
        return layout.flatten, layout.unflatten
    names = list(params)
    return (lambda p: np.array([p[k] for k in names], dtype=np.float64),
            lambda theta: dict(zip(names, theta.tolist())))


def inputs(me, data):
    """theta -> the compiled function's input: params, scalar data and -- one row per sample
    -- the per-sample data columns, as one float64 array (nargs,) or (samples, nargs). The
    data part is laid out once."""
    scalars = np.array([data[k] for k in me.data_syms], dtype=np.float64)
    if not me.row_syms:
        return lambda theta: np.concatenate([theta, scalars])
    cols = np.concatenate([np.asarray(data[k], dtype=np.float64).reshape(me.n_samples, -1)
                           for k in me.row_syms], axis=1)
    n_theta = len(me.flat_params())
    base = np.empty((me.n_samples, n_theta + scalars.size + cols.shape[1]))
    base[:, n_theta:n_theta + scalars.size] = scalars
    base[:, n_theta + scalars.size:] = cols

    def x_of(theta):
        x = base.copy()
        x[:, :n_theta] = theta
        return x
    return x_of


def evaluate(fn, x, reduce, n):
    """The compiled outputs at ``x``; per sample, reduced over the samples by ``reduce``."""
    out = fn(x)
    if reduce is None:
        return out
    s = out.sum(axis=0)
    return s / n if reduce == "mean" else s


def _check_decomposition(fn, me, f, data, params):
    """'mean' or 'sum' if the model equals the mean or sum of its one-row expression over
    the samples (checked numerically at the params and at a perturbed point), else None."""
    rng = np.random.default_rng(12345)
    points = [params, {k: v * (1 + 0.1 * rng.standard_normal(np.shape(v))) + 0.05 for k, v in params.items()}]
    layout, x_of = Layout(params), inputs(me, data)
    for how in ("mean", "sum"):
        ok = True
        for p in points:
            want = float(f(p, NUMPY))
            got = evaluate(fn, x_of(layout.flatten(p)), how, me.n_samples)[0]
            if not np.isfinite(want) or abs(got - want) > 1e-9 * max(1.0, abs(want)):
                ok = False
                break
        if ok:
            return how
    return None
