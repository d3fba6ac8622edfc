"""The Speed experiment: time per gradient against the number of parameters, for every method.

What it shows (the lecture's "numerical: slow", "automatic: fast"):

* finite differences need ~n (forward/backward/complex-step) or ~2n (central) evaluations of
  the model per gradient, so their time grows in proportion to the number of parameters n;
  so does our forward mode (one pass per chunk of directions);
* reverse mode (our tracer, autograd) costs a small, n-independent multiple of ONE
  evaluation -- the "cheap gradient" ratio of Baur-Strassen / Griewank;
* SymPy pays its price up front (differentiate + lambdify: ``setup``), then evaluates fast.

Everything here returns ``records.Record`` lists (section ``"speed"``); nothing prints.
Times are medians of a few rounds (``compare.timeit``), measured in ONE run so only their
ratios are meaningful.
"""
from __future__ import annotations

import time

from .. import api, models
from ..compare import rel_error, timeit
from ..errors import DiffcompareError
from ..params import size
from ..records import Record
from . import silent

__all__ = ["speed_records", "scaling_records", "symbolic_records", "HIDDEN_FULL", "HIDDEN_QUICK"]

SECTION = "speed"
# MLP 4-H-H-1 on a batch of 32: n = 6H + H^2 + 1 parameters.
HIDDEN_FULL = (2, 4, 8, 16, 32, 64)
HIDDEN_QUICK = (2, 4, 8)
DEPTHS_FULL = (1, 2, 3, 4)
DEPTHS_QUICK = (1, 2)
# SymPy runs under a time budget (past it: IntractableError, recorded as "failed")
SYMBOLIC_BUDGET_S = 8.0


def _options(method):
    return {"budget": SYMBOLIC_BUDGET_S} if method == "symbolic" else {}


def _speed_model(hidden):
    return models.get("mlp", sizes=(4, hidden, hidden, 1), batch=32)


def _progress(progress, what):
    if progress is not None:
        progress(what)


def _unavailable(e):
    """A method whose backend module is not in this build (another issue's work)."""
    return f"not available in this build: {e}"


def scaling_records(quick=False, methods=None, hidden=None, cap_s=None, progress=None):
    """Seconds per gradient (median) for each method on an MLP of growing width, with one
    plain evaluation timed beside it; records ``s_per_grad``, ``s_per_eval``, ``cost_ratio``
    (gradient / evaluation), ``evals`` (function evaluations, finite differences) and
    ``rel_error`` (vs autograd, a sanity check that the timed gradients are gradients).

    A method whose single gradient would take longer than ``cap_s`` at the next size is
    stopped there (a ``skipped`` record says at which n): FD and forward mode grow ~n, so the
    largest sizes are left to reverse mode."""
    methods = tuple(api.METHODS if methods is None else methods)
    hidden = (HIDDEN_QUICK if quick else HIDDEN_FULL) if hidden is None else tuple(hidden)
    cap_s = (0.05 if quick else 0.1) if cap_s is None else cap_s
    repeats, min_time = (3, 0.002) if quick else (5, 0.01)
    # SymPy on an MLP builds one expression per weight over the whole batch (seconds of
    # setup): it is timed on the smallest size of a full run only; its setup/evaluation
    # split is shown on the chain below.
    sym_max_hidden = 0 if quick else min(hidden)
    out, stopped = [], {}
    for H in hidden:
        model = _speed_model(H)
        params = model.params
        n = size(params)
        setting, extra = f"n={n}", {"n": n, "hidden": H}
        _progress(progress, f"speed: n={n}, one evaluation")
        t_eval = timeit(api.evaluate, model, params, repeats=repeats, min_time=min_time)
        out.append(Record(SECTION, "mlp", "evaluate", "s_per_eval", t_eval, "s", setting, extra=extra))
        ref = api.grad(model, "autograd")(params)
        for m in methods:
            if m in stopped:
                continue
            if m == "symbolic" and H > sym_max_hidden:
                continue
            _progress(progress, f"speed: n={n}, {m}")
            try:
                gf = api.grad(model, m, **_options(m))
                gf.prepare(params)          # one-off setup (SymPy: diff + lambdify) apart
                t0 = time.perf_counter()
                g = gf(params)
                first = time.perf_counter() - t0
                if first > 4 * cap_s:
                    s = first      # too slow to repeat: one call is the measurement
                else:
                    s = timeit(gf, params, repeats=repeats, min_time=min_time)
            except (ImportError, DiffcompareError, FloatingPointError, TypeError, ValueError) as e:
                msg = _unavailable(e) if isinstance(e, ImportError) else f"{type(e).__name__}: {e}"
                out.append(Record(SECTION, "mlp", m, "failed", msg, "", setting, extra=extra))
                stopped[m] = n
                continue
            out.append(Record(SECTION, "mlp", m, "s_per_grad", s, "s", setting, extra=extra))
            out.append(Record(SECTION, "mlp", m, "cost_ratio", s / t_eval, "x", setting,
                              reference="one plain evaluation", extra=extra))
            out.append(Record(SECTION, "mlp", m, "rel_error", rel_error(g, ref), "", setting,
                              reference="autograd", extra=extra))
            if "evals" in gf.info:
                out.append(Record(SECTION, "mlp", m, "evals", int(gf.info["evals"]), "", setting,
                                  extra=extra))
            if "setup_s" in gf.info:
                out.append(Record(SECTION, "mlp", m, "setup_s", float(gf.info["setup_s"]), "s",
                                  setting, extra=extra))
            i = hidden.index(H)
            if i + 1 < len(hidden):
                n_next = size(_speed_model(hidden[i + 1]).params)
                # exact methods of reverse mode barely grow; FD/forward grow ~n
                if s * n_next / n > cap_s and m not in ("autodiff", "autograd"):
                    stopped[m] = n
                    out.append(Record(SECTION, "mlp", m, "skipped", f"stopped after n={n}: "
                                      f"a gradient took {s:.3g} s and grows ~n", "", setting, extra=extra))
    return out


def symbolic_records(quick=False, depths=None, progress=None):
    """SymPy's setup (differentiate + lambdify) against its evaluation and our tracer's
    gradient, on the nested log-exp chain of growing depth."""
    depths = (DEPTHS_QUICK if quick else DEPTHS_FULL) if depths is None else tuple(depths)
    repeats, min_time = (3, 0.002) if quick else (5, 0.005)
    out = []
    for d in depths:
        model = models.get("softplus_chain", depth=d)
        params = model.params
        setting, extra = f"depth={d}", {"depth": d, "n": size(params)}
        for m in ("symbolic", "autodiff"):
            _progress(progress, f"speed: symbolic chain depth {d}, {m}")
            try:
                gf = api.grad(model, m, **_options(m))
                gf(params)
                s = timeit(gf, params, repeats=repeats, min_time=min_time)
            except (ImportError, DiffcompareError) as e:
                msg = _unavailable(e) if isinstance(e, ImportError) else f"{type(e).__name__}: {e}"
                out.append(Record(SECTION, "softplus_chain", m, "failed", msg, "", setting, extra=extra))
                break
            out.append(Record(SECTION, "softplus_chain", m, "s_per_grad", s, "s", setting, extra=extra))
            out.append(Record(SECTION, "softplus_chain", m, "setup_s", float(gf.info.get("setup_s", 0.0)),
                              "s", setting, extra=extra))
    return out


def speed_records(quick=False, progress=None):
    """The whole Speed section: the n-sweep and the symbolic setup/evaluation split."""
    return scaling_records(quick, progress=progress) + symbolic_records(quick, progress=progress)


def run(quick=False, progress=silent):
    return speed_records(quick, progress=progress)
