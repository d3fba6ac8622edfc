"""The Accuracy experiment: gradient error against the step h for every finite-difference
scheme on the lecture's small models, beside the exact methods, in float64 and float32.

Errors are measured against SymPy's derivative evaluated at 50 significant digits (mpmath)
at the very same binary inputs -- a reference far below any float64 round-off, so the exact
methods show their true floor (~1e-16) instead of their disagreement with another float64
method. Returns records (section ``"accuracy"``); prints nothing.
"""
from __future__ import annotations

import numpy as np

from .. import api, models, stepsweep
from ..compare import rel_error
from ..errors import DiffcompareError
from ..records import Record
from . import silent

__all__ = ["accuracy_records", "reference_grad", "REFERENCE", "MODELS_FULL", "MODELS_QUICK"]

SECTION = "accuracy"
REFERENCE = "SymPy derivative at 50 digits (mpmath)"
MODELS_FULL = (("softplus", {}), ("neuron", {}), ("softplus_chain", {"depth": 2}), ("mlp4", {}))
MODELS_QUICK = (("softplus", {}), ("neuron", {}))
H_FULL = tuple(10.0 ** (-k / 2) for k in range(2, 29))       # 1e-1 ... 1e-14, half decades
H_QUICK = tuple(10.0 ** -k for k in range(1, 14, 2))          # 1e-1 ... 1e-13


def _label(name, opts):
    return name + "".join(f" {k}={v}" for k, v in opts.items())


def reference_grad(model, params, digits=50):
    """The exact gradient at the binary values of ``params`` (scalar params only), evaluated
    by SymPy/mpmath at ``digits`` significant digits."""
    import sympy as sp

    from ..namespaces import SYMPY
    if any(np.ndim(v) for v in params.values()):
        raise DiffcompareError("the 50-digit reference handles scalar params only")
    syms = {k: sp.Symbol(k, real=True) for k in params}
    expr = model(syms, SYMPY)
    subs = {syms[k]: sp.Rational(float(v)) for k, v in params.items()}
    return {k: float(sp.diff(expr, s).evalf(digits, subs=subs)) for k, s in syms.items()}


def _cast(model, params, dtype):
    """The model with its array data and params in ``dtype`` (Python-float data stays weak,
    so it does not promote float32 back to float64)."""
    if dtype == np.float64:
        return model, params
    data = {k: (v.astype(dtype) if isinstance(v, np.ndarray) and v.dtype.kind == "f" else v)
            for k, v in model.data.items()}
    return model.with_data(**data), {k: dtype(v) for k, v in params.items()}


def accuracy_records(quick=False, progress=None, methods=None):
    """Records ``rel_error`` (max-norm, relative to max|reference|) for each FD scheme at
    each h and each exact method, per model and dtype; plus ``best_rel_error`` (with the
    best h in ``extra``) and ``evals`` per gradient for each scheme."""
    cases = MODELS_QUICK if quick else MODELS_FULL
    hs = H_QUICK if quick else H_FULL
    fd = [m for m in (methods or api.METHODS) if m in api.FD_METHODS]
    exact = [m for m in (methods or api.METHODS) if m in api.EXACT_METHODS]
    out = []
    for name, opts in cases:
        base = models.get(name, **opts)
        label = _label(name, opts)
        for dtype in (np.float64, np.float32):
            dname = np.dtype(dtype).name
            model, params = _cast(base, base.params, dtype)
            if progress:
                progress(f"accuracy: {label}, {dname}")
            ref = reference_grad(base, {k: float(v) for k, v in params.items()})
            for m in exact:
                try:
                    g = api.grad(model, m)(params)
                except (ImportError, DiffcompareError) as e:
                    out.append(Record(SECTION, label, m, "failed", f"{type(e).__name__}: {e}", "", dname,
                                      extra={"dtype": dname}))
                    continue
                out.append(Record(SECTION, label, m, "rel_error", rel_error(g, ref), "", dname,
                                  REFERENCE, {"dtype": dname}))
            for m in fd:
                best = evals = None
                for h in hs:
                    try:
                        gf = api.grad(model, m, h=h)
                        with np.errstate(all="ignore"):
                            g = gf(params)
                    except ImportError as e:
                        out.append(Record(SECTION, label, m, "failed", f"not available in this build: {e}",
                                          "", dname, extra={"dtype": dname}))
                        break
                    except DiffcompareError as e:
                        # e.g. a step that vanishes next to x in float32: the method refuses
                        # rather than return a wrong number -- a finding, recorded as such
                        out.append(Record(SECTION, label, m, "refused", f"{type(e).__name__}: {e}", "",
                                          f"{dname}, h={h:.1e}", extra={"dtype": dname, "h": h}))
                        continue
                    err = rel_error(g, ref)
                    out.append(Record(SECTION, label, m, "rel_error", err, "", f"{dname}, h={h:.1e}",
                                      REFERENCE, {"dtype": dname, "h": h}))
                    if np.isfinite(err) and (best is None or err < best[0]):
                        best = (err, h)
                    evals = gf.info.get("evals")
                else:
                    if best is not None:
                        out.append(Record(SECTION, label, m, "best_rel_error", best[0], "", dname,
                                          REFERENCE, {"dtype": dname, "h": best[1]}))
                    if evals is not None:
                        out.append(Record(SECTION, label, m, "evals", int(evals), "", dname,
                                          extra={"dtype": dname, "n": len(params)}))
    return out


def run(quick=False, progress=silent):
    """The Accuracy section's records: error against h per scheme and exact method, and the
    step sweep of softplus with its error model (section ``fd_sweep``)."""
    out = accuracy_records(quick, progress=progress)
    progress("accuracy: step sweep with error model")
    return out + stepsweep.sweep_records(("softplus",), quick=quick,
                                         progress=lambda i, n: progress("accuracy: step sweep", i, n))
