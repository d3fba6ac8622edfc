"""The Speed experiment: time per gradient against the number of parameters, for every method.

What it shows (the lecture's "numerical: slow", "automatic: fast"):

* finite differences need ~n (forward/backward/complex-step) or ~2n (central) evaluations of
  the model per gradient, so their time grows in proportion to the number of parameters n;
  so does our forward mode (one pass per chunk of directions);
* reverse mode (our tracer, autograd) costs a small, n-independent multiple of ONE
  evaluation -- the "cheap gradient" ratio of Baur-Strassen / Griewank;
* SymPy pays its price up front (differentiate + lambdify: ``setup``), then evaluates fast.

Every time is ``timing.measure``'s median over rounds with its spread kept (``Record.timing``),
measured in ONE run so only their ratios are meaningful. Records (section ``"speed"``);
nothing prints.
"""
from __future__ import annotations

import time

from .. import api, models
from ..compare import rel_error
from ..errors import DiffcompareError
from ..namespaces import NUMPY
from ..params import size
from ..records import Record
from ..timing import Timing, measure
from . import silent

__all__ = ["speed_records", "scaling_records", "symbolic_records", "run", "HIDDEN_FULL", "HIDDEN_QUICK",
           "S_PER_GRAD", "S_PER_EVAL", "COST_RATIO", "EVALS", "REL_ERROR", "SETUP_S", "SKIPPED", "FAILED",
           "SECTION", "SPEED_MODEL", "CHAIN_MODEL", "EVALUATE"]

SECTION = "speed"
S_PER_GRAD = "s_per_grad"      # seconds per gradient (a timing: median, min, max)
S_PER_EVAL = "s_per_eval"      # seconds per plain evaluation of the model (a timing)
COST_RATIO = "cost_ratio"      # median gradient time / median evaluation time
EVALS = "evals"                # evaluations of the model per gradient (finite differences)
REL_ERROR = "rel_error"        # against autograd: the timed gradient is a gradient
SETUP_S = "setup_s"            # one-off setup (SymPy: diff + lambdify), one measurement
SKIPPED = "skipped"            # a method stopped before the next size (extra: n, seconds)
FAILED = "failed"              # a method that raised (extra: error)
SPEED_MODEL = "mlp"            # the n-sweep's model
CHAIN_MODEL = "softplus_chain"  # the symbolic setup/evaluation split's model
EVALUATE = "evaluate"          # the "method" of a plain evaluation

# MLP 4-H-H-1 on a batch of 32: n = H^2 + 7H + 1 parameters.
HIDDEN_FULL = (2, 4, 8, 16, 32, 64)
HIDDEN_QUICK = (2, 4, 8)
DEPTHS_FULL = (1, 2, 3, 4)
DEPTHS_QUICK = (1, 2)
SYMBOLIC_BUDGET_S = 8.0        # CPU seconds for SymPy's setup (past it: a failed record)
REVERSE = ("autodiff", "autodiff-compiled", "autograd")   # methods whose cost does not grow with n


def _options(method):
    return {"budget": SYMBOLIC_BUDGET_S} if method == "symbolic" else {}


def _speed_model(hidden):
    return models.get(SPEED_MODEL, sizes=(4, hidden, hidden, 1), batch=32)


def _once(seconds):
    """A call too slow to repeat: its one measurement as a Timing (no spread)."""
    return Timing(seconds, seconds, seconds, 1, 1)


def _failed(model, method, e, setting, extra):
    what = "not available in this build" if isinstance(e, ImportError) else type(e).__name__
    return Record(SECTION, model, method, FAILED, f"{what}: {e}", "", setting,
                  extra=dict(extra, error=type(e).__name__))


def _time_gradient(gf, params, cap_s, repeats, min_time):
    """(first gradient, its Timing): the setup apart, then rounds -- or the first call alone
    when it already took longer than 4 x ``cap_s``."""
    gf.prepare(params)                  # one-off setup (SymPy: diff + lambdify) apart
    t0 = time.perf_counter()
    g = gf(params)
    first = time.perf_counter() - t0
    if first > 4 * cap_s:
        return g, _once(first)
    return g, measure(gf, params, repeats=repeats, min_time=min_time)


def scaling_records(quick=False, methods=None, hidden=None, cap_s=None, progress=silent):
    """Seconds per gradient for each method on an MLP of growing width, with one plain
    evaluation timed beside it; records ``S_PER_GRAD``, ``S_PER_EVAL``, ``COST_RATIO``,
    ``EVALS`` (finite differences), ``SETUP_S`` and ``REL_ERROR`` (vs autograd).

    A method whose single gradient would take longer than ``cap_s`` at the next size is
    stopped there (a ``SKIPPED`` record says at which n): FD and forward mode grow ~n, so the
    largest sizes are left to reverse mode."""
    methods = tuple(api.METHODS if methods is None else methods)
    hidden = (HIDDEN_QUICK if quick else HIDDEN_FULL) if hidden is None else tuple(hidden)
    cap_s = (0.05 if quick else 0.1) if cap_s is None else cap_s
    repeats, min_time = (3, 0.002) if quick else (5, 0.01)
    # SymPy on an MLP builds one expression per weight over the whole batch (seconds of
    # setup): it is timed on the smallest size of a full run only; its setup/evaluation
    # split is shown on the chain below.
    sym_max_hidden = 0 if quick else min(hidden)
    out, stopped = [], set()
    for i, H in enumerate(hidden):
        model = _speed_model(H)
        params = model.params
        n = size(params)
        setting, extra = f"n={n}", {"n": n, "hidden": H}
        progress(f"speed: n={n}, one evaluation")
        # the model alone (no checks): what one gradient is compared with
        t_eval = measure(model, params, NUMPY, repeats=repeats, min_time=min_time)
        out.append(Record.timing(SECTION, SPEED_MODEL, EVALUATE, S_PER_EVAL, t_eval, setting=setting, extra=extra))
        ref = api.grad(model, "autograd")(params)
        for m in methods:
            if m in stopped or (m == "symbolic" and H > sym_max_hidden):
                continue
            progress(f"speed: n={n}, {m}")
            try:
                gf = api.grad(model, m, **_options(m))
                g, t = _time_gradient(gf, params, cap_s, repeats, min_time)
            except (ImportError, DiffcompareError, FloatingPointError, TypeError, ValueError) as e:
                out.append(_failed(SPEED_MODEL, m, e, setting, extra))
                stopped.add(m)
                continue
            out += [Record.timing(SECTION, SPEED_MODEL, m, S_PER_GRAD, t, setting=setting, extra=extra),
                    Record(SECTION, SPEED_MODEL, m, COST_RATIO, t.median / t_eval.median, "x", setting,
                           reference="one plain evaluation (median over median)", extra=extra),
                    Record(SECTION, SPEED_MODEL, m, REL_ERROR, rel_error(g, ref), "", setting,
                           reference="autograd", extra=extra)]
            if "evals" in gf.info:
                out.append(Record(SECTION, SPEED_MODEL, m, EVALS, int(gf.info["evals"]), "", setting, extra=extra))
            if "setup_s" in gf.info:
                out.append(Record.timing(SECTION, SPEED_MODEL, m, SETUP_S, _once(float(gf.info["setup_s"])),
                                         setting=setting, extra=extra))
            if i + 1 < len(hidden) and m not in REVERSE:
                n_next = size(_speed_model(hidden[i + 1]).params)
                if t.median * n_next / n > cap_s:          # FD and forward mode grow ~n
                    stopped.add(m)
                    out.append(Record(SECTION, SPEED_MODEL, m, SKIPPED, n, "", setting,
                                      extra=dict(extra, seconds=t.median, cap_s=cap_s, next_n=n_next)))
    return out


def symbolic_records(quick=False, depths=None, progress=silent):
    """SymPy's setup (differentiate + lambdify) against its evaluation and our tracer's
    gradient, on the nested log-exp chain of growing depth."""
    depths = (DEPTHS_QUICK if quick else DEPTHS_FULL) if depths is None else tuple(depths)
    repeats, min_time = (3, 0.002) if quick else (5, 0.005)
    out = []
    for d in depths:
        model = models.get(CHAIN_MODEL, depth=d)
        params = model.params
        setting, extra = f"depth={d}", {"depth": d, "n": size(params)}
        for m in ("symbolic", "autodiff"):
            progress(f"speed: symbolic chain depth {d}, {m}")
            try:
                gf = api.grad(model, m, **_options(m))
                _, t = _time_gradient(gf, params, 1.0, repeats, min_time)
            except (ImportError, DiffcompareError) as e:
                out.append(_failed(CHAIN_MODEL, m, e, setting, extra))
                break
            out += [Record.timing(SECTION, CHAIN_MODEL, m, S_PER_GRAD, t, setting=setting, extra=extra),
                    Record.timing(SECTION, CHAIN_MODEL, m, SETUP_S, _once(float(gf.info.get("setup_s", 0.0))),
                                  setting=setting, extra=extra)]
    return out


def speed_records(quick=False, progress=silent):
    """The whole Speed section: the n-sweep and the symbolic setup/evaluation split."""
    return scaling_records(quick, progress=progress) + symbolic_records(quick, progress=progress)


def run(quick=False, progress=silent):
    return speed_records(quick, progress=progress)
