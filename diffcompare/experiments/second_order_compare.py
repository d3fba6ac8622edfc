"""Every second-derivative method on one model, side by side: the Hessian's error against a
named reference, the time per Hessian (median [min–max] over rounds, setup apart) and each
method's own counts (evaluations of f or of the gradient). What ``diffcompare compare
--order 2`` prints and what the second-order experiment's accuracy table is made of.

The reference (``reference=None``): SymPy's Hessian at 50 digits (``highprec.hessian``) when
it finishes within ``budget`` CPU seconds in its own process, else the best exact method
that runs (autograd, then our autodiff) -- and the records say which, and why. A method
given float32 params whose Hessian is not a float32 number (SymPy's lambdified code,
autograd on the flat float64 vector) is marked ``computes_in``, so no figure credits
float32 with float64's accuracy. Returns records; prints nothing.
"""
from __future__ import annotations

import time

import numpy as np

from .. import budget as runner
from .. import highprec
from ..errors import BadOptionError, DiffcompareError
from ..hessian import HESSIAN_METHODS, hessian
from ..params import Layout
from ..records import Record
from ..timing import measure

__all__ = ["compare_hessians", "hessian_reference", "rel_error", "SECTION", "REL_ERROR", "S_PER_HESSIAN",
           "SETUP_S", "EVALS", "FAILED", "REFERENCE", "FALLBACK", "DEFAULT_BUDGET"]

SECTION = "second_order"
REL_ERROR = "hessian_rel_error"      # max |H - ref| / max |ref| (extra: dtype, computes_in, h)
S_PER_HESSIAN = "s_per_hessian"      # a timing: median, min, max over rounds
SETUP_S = "hessian_setup_s"          # one-off setup (SymPy: diff, diff, cse, lambdify)
EVALS = "hessian_evals"              # evaluations per Hessian (extra: of "f" or "gradient", n)
FAILED = "hessian_failed"            # the method raised (value: its message; extra: error)
REFERENCE = "hessian_reference"      # the reference used (value: its label; extra: why)
FALLBACK = ("autograd", "autodiff")  # the exact methods, best first
EXACT = ("autodiff", "symbolic", "autograd")
DEFAULT_BUDGET = 20.0                # CPU seconds for the 50-digit reference and SymPy's setup


def rel_error(H, ref):
    """max |H - ref| / max |ref| (norm-wise: entrywise ratios blow up on zero entries)."""
    scale = float(np.max(np.abs(ref))) if ref.size else 0.0
    err = float(np.max(np.abs(np.asarray(H, float) - ref))) if ref.size else 0.0
    return err / scale if scale > 0 else err


def _as_float64(params):
    return {k: (v.astype(np.float64) if isinstance(v, np.ndarray) else float(v)) for k, v in params.items()}


def hessian_reference(f, params, reference=None, budget=DEFAULT_BUDGET):
    """``(H, label, why)``: the Hessian every error is measured against, at the binary values
    of ``params`` (float32 params: their exact values, in float64)."""
    if reference is not None and reference != "50-digit":
        return hessian(f, reference, **_options(reference, budget))(params), reference, "chosen"
    why = ""
    try:
        H, label = runner.run(highprec.hessian, f, _as_float64(params), cpu=budget,
                              what="the 50-digit SymPy Hessian", deep=True)
        return H, label, ""
    except DiffcompareError as e:
        if reference == "50-digit":
            raise
        why = " ".join(str(e).split())
    except (ArithmeticError, TypeError, ValueError, AttributeError) as e:
        why = f"SymPy failed: {type(e).__name__}: {e}"
    for m in FALLBACK:
        try:
            return hessian(f, m)(_as_float64(params)), m, why
        except (ImportError, DiffcompareError) as e:
            why += f"; {m} failed: {e}"
    raise DiffcompareError(f"no reference Hessian: {why}")


def _options(method, budget):
    return {"budget": budget} if method == "symbolic" else {}


def _wider(H, dtype):
    H = np.asarray(H, np.float64)
    return dtype == np.float32 and bool(np.any(H.astype(np.float32).astype(np.float64) != H))


def compare_hessians(f, params, methods=HESSIAN_METHODS, reference=None, budget=DEFAULT_BUDGET, repeats=5,
                     min_time=0.01, name=None, progress=None, timed=True):
    """Records of every method in ``methods`` on ``f`` at ``params``: ``REL_ERROR`` against
    the reference (``REFERENCE`` says which), ``S_PER_HESSIAN`` (``timed``), ``SETUP_S``,
    ``EVALS``; a method that raises gives a ``FAILED`` record and the others still run."""
    methods = list(methods)
    for m in methods + ([reference] if reference not in (None, "50-digit") else []):
        if m not in HESSIAN_METHODS:
            raise BadOptionError(f"unknown second-derivative method {m!r}; known: {', '.join(HESSIAN_METHODS)}")
    if not (isinstance(budget, (int, float)) and not isinstance(budget, bool) and budget > 0):
        raise BadOptionError(f"budget must be a positive number of CPU seconds, got {budget!r}")
    name = name or getattr(f, "name", None) or getattr(f, "__name__", "f")
    L = Layout(params)
    dtype = np.result_type(*[np.asarray(v).dtype for v in params.values()], np.float32)
    ref, label, why = hessian_reference(f, params, reference, budget)
    setting = f"n={L.n}, {dtype.name}"
    base = {"dtype": dtype.name, "n": L.n}
    out = [Record(SECTION, name, "", REFERENCE, label, "", setting, extra=dict(base, why=why))]
    for m in methods:
        if progress:
            progress(f"second derivatives: {name}, {m}")
        try:
            hf = hessian(f, m, **_options(m, budget))
            with np.errstate(all="ignore"):
                H = hf(params)
                # CPU time: the report draws figures in other processes meanwhile
                t = measure(hf, params, repeats=repeats, min_time=min_time, clock=time.process_time) if timed else None
        except (ImportError, DiffcompareError) as e:
            out.append(Record(SECTION, name, m, FAILED, " ".join(str(e).split()), "", setting,
                              extra=dict(base, error=type(e).__name__)))
            continue
        extra = dict(base)
        if m in EXACT and _wider(H, dtype):       # differences combine float32 values in float64: fine
            extra["computes_in"] = "float64"
        if "h" in hf.info:
            extra["h"] = hf.info["h"]
        out.append(Record(SECTION, name, m, REL_ERROR, rel_error(H, ref), "", setting, label, extra))
        if t is not None:
            out.append(Record.timing(SECTION, name, m, S_PER_HESSIAN, t, setting=setting, extra=base))
        out.append(Record(SECTION, name, m, SETUP_S, float(hf.info.get("setup_s", 0.0)), "s", setting, extra=base))
        if "evals" in hf.info:
            of = "gradient" if m.endswith("-grad") else "f"
            out.append(Record(SECTION, name, m, EVALS, int(hf.info["evals"]), "", setting, extra=dict(base, of=of)))
    return out
