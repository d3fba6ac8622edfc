"""The Accuracy experiment: gradient error against the step h for every finite-difference
scheme on the lecture's small models, beside the exact methods, in float64 and float32;
and the V-curve of one derivative with its error model (``stepsweep``).

Errors are measured against ``highprec``: SymPy's derivative evaluated at 50 significant
digits at the very same binary inputs -- a reference far below any float64 round-off, so the
exact methods show their true floor (~1e-16) instead of their disagreement with another
float64 method. A method asked for float32 that computes in float64 inside (its result is
not a float32 number: SymPy's lambdified code, our forward mode) is marked so
(``extra["computes_in"]``), so no figure credits float32 with float64's accuracy.
Returns records; prints nothing.
"""
from __future__ import annotations

import numpy as np

from .. import api, highprec, models, stepsweep
from ..compare import rel_error
from ..errors import DiffcompareError
from ..records import Record
from . import silent

__all__ = ["accuracy_records", "cast", "run", "SECTION", "MODELS_FULL", "MODELS_QUICK", "REL_ERROR",
           "BEST_REL_ERROR", "EVALS", "REFUSED", "FAILED", "SWEEP_MODEL"]

SECTION = "accuracy"
REL_ERROR = "rel_error"            # max-norm error / max |reference| (extra: dtype, h for a scheme)
BEST_REL_ERROR = "best_rel_error"  # a scheme's smallest REL_ERROR over h (extra: h)
EVALS = "evals"                    # evaluations per gradient of a scheme
REFUSED = "refused"                # a scheme refused a step (it vanishes next to x in the dtype)
FAILED = "failed"                  # a method that could not run (extra: error)
SWEEP_MODEL = "softplus"           # the V-curve's model
MODELS_FULL = (("softplus", {}), ("neuron", {}), ("softplus_chain", {"depth": 2}), ("mlp4", {}))
MODELS_QUICK = (("softplus", {}), ("neuron", {}))
H_FULL = tuple(10.0 ** (-k / 2) for k in range(2, 29))       # 1e-1 ... 1e-14, half decades
H_QUICK = tuple(10.0 ** -k for k in range(1, 14, 2))          # 1e-1 ... 1e-13
DTYPES = ("float64", "float32")


def _label(name, opts):
    return name + "".join(f" {k}={v}" for k, v in opts.items())


def cast(model, params, dtype):
    """The model with its array data and params in ``dtype`` (Python-float data stays weak,
    so it does not promote float32 back to float64). A plain function keeps its data."""
    dtype = np.dtype(dtype)
    if dtype == np.float64:
        return model, params
    if isinstance(model, models.Model):
        data = {k: (v.astype(dtype) if isinstance(v, np.ndarray) and v.dtype.kind == "f" else v)
                for k, v in model.data.items()}
        model = model.with_data(**data)
    return model, {k: (v.astype(dtype) if isinstance(v, np.ndarray) else dtype.type(v)) for k, v in params.items()}


def _wider(g, dtype):
    """The precision a gradient was computed in, when wider than ``dtype`` (else None)."""
    if np.dtype(dtype) != np.float32:
        return None
    vals = np.concatenate([np.ravel(np.asarray(v, dtype=np.float64)) for v in g.values()])
    return "float64" if np.any(vals.astype(np.float32).astype(np.float64) != vals) else None


def _exact_records(label, model, params, dname, ref, refname, methods):
    out = []
    for m in methods:
        extra = {"dtype": dname}
        try:
            g = api.grad(model, m)(params)
        except (ImportError, DiffcompareError) as e:
            out.append(Record(SECTION, label, m, FAILED, f"{type(e).__name__}: {e}", "", dname,
                              extra=dict(extra, error=type(e).__name__)))
            continue
        if _wider(g, dname):
            extra["computes_in"] = _wider(g, dname)
        out.append(Record(SECTION, label, m, REL_ERROR, rel_error(g, ref), "", dname, refname, extra))
    return out


def _scheme_records(label, model, params, dname, ref, refname, m, hs):
    out, best, evals = [], None, None
    for h in hs:
        extra = {"dtype": dname, "h": h}
        try:
            gf = api.grad(model, m, h=h)
            with np.errstate(all="ignore"):
                g = gf(params)
        except ImportError as e:
            return [Record(SECTION, label, m, FAILED, f"not available in this build: {e}", "", dname,
                           extra={"dtype": dname, "error": "ImportError"})]
        except DiffcompareError as e:
            # a step that vanishes next to x in float32: the method refuses rather than
            # return a wrong number -- a finding, recorded as such
            out.append(Record(SECTION, label, m, REFUSED, str(e), "", f"{dname}, h={h:.1e}",
                              extra=dict(extra, error=type(e).__name__)))
            continue
        err = rel_error(g, ref)
        out.append(Record(SECTION, label, m, REL_ERROR, err, "", f"{dname}, h={h:.1e}", refname, extra))
        if np.isfinite(err) and (best is None or err < best[0]):
            best = (err, h)
        evals = gf.info.get("evals")
    if best is not None:
        out.append(Record(SECTION, label, m, BEST_REL_ERROR, best[0], "", dname, refname,
                          {"dtype": dname, "h": best[1]}))
    if evals is not None:
        out.append(Record(SECTION, label, m, EVALS, int(evals), "", dname,
                          extra={"dtype": dname, "n": sum(np.size(v) for v in params.values())}))
    return out


def accuracy_records(cases, hs=H_FULL, methods=None, dtypes=DTYPES, progress=silent, reference=None):
    """Records ``REL_ERROR`` (max-norm, relative to max|reference|) for each FD scheme at
    each h and each exact method, per case ``(label, model, params)`` and dtype; plus
    ``BEST_REL_ERROR`` (the best h in ``extra``) and ``EVALS`` per gradient of each scheme.
    ``reference(model, params) -> (grads, label)``: default ``highprec.gradient``."""
    reference = reference or highprec.gradient
    fd = [m for m in (methods or api.METHODS) if m in api.FD_METHODS]
    exact = [m for m in (methods or api.METHODS) if m in api.EXACT_METHODS]
    out = []
    for label, base, base_params in cases:
        for dname in dtypes:
            model, params = cast(base, base_params, dname)
            progress(f"accuracy: {label}, {dname}")
            # the reference at the binary values the method sees (float32 params rounded)
            ref, refname = reference(base, {k: (v.astype(np.float64) if isinstance(v, np.ndarray)
                                                else float(v)) for k, v in params.items()})
            out += _exact_records(label, model, params, dname, ref, refname, exact)
            for m in fd:
                out += _scheme_records(label, model, params, dname, ref, refname, m, hs)
    return out


def run(quick=False, progress=silent):
    """The Accuracy section's records: error against h per scheme and exact method, and the
    step sweep of softplus with its error model (``stepsweep``'s records and metric names)."""
    cases = []
    for name, opts in (MODELS_QUICK if quick else MODELS_FULL):
        m = models.get(name, **opts)
        cases.append((_label(name, opts), m, m.params))
    out = accuracy_records(cases, H_QUICK if quick else H_FULL, progress=progress)
    progress("accuracy: step sweep with error model")
    return out + stepsweep.sweep_records((SWEEP_MODEL,), quick=quick,
                                         progress=lambda i, n: progress("accuracy: step sweep", i, n))
