"""The experiments of a report on the user's OWN model ``f(params, xp) -> scalar``: every part
of the catalogue report that applies to one model, and for each part that does not, the
reason (a ``NOT_APPLICABLE`` record: "symbolic: intractable at 20 s", "complex step: the
model uses abs").

* cost and accuracy of every method against one reference (``compare.compare``: SymPy at
  50 digits within the budget, else the best exact method -- the records name it);
* error against the step h of every scheme, in float64 and float32 (``accuracy``);
* the V-curve of the first parameter's derivative with its error model (``stepsweep``,
  which needs 50-digit derivatives up to order 7: under the budget);
* what each method returns near the model's own overflow (params scaled up by powers of
  two until f overflows: ``stability``'s overflow records);
* a gradient check of the user's own gradient, when given (``gradcheck``).

Records only; prints nothing. Every budgeted step runs in a ``budget`` child.
"""
from __future__ import annotations

import numpy as np

from .. import api, highprec, stepsweep
from .. import budget as _budget
from ..compare import DEFAULT_BUDGET, compare
from ..errors import DiffcompareError
from ..namespaces import NUMPY
from ..records import Record
from . import accuracy, silent
from . import stability as st

__all__ = ["run", "SECTION", "NOT_APPLICABLE", "GRADCHECK", "PART_COST", "PART_ACCURACY", "PART_VCURVE",
           "PART_OVERFLOW", "PART_GRADCHECK", "H_USER", "MAX_DOUBLINGS"]

SECTION = "yourmodel"
NOT_APPLICABLE = "not_applicable"   # value: why (method: what does not apply; extra: part)
GRADCHECK = "gradcheck_status"      # value: pass / fail / inconclusive (extra: summary)
PART_COST, PART_ACCURACY, PART_VCURVE = "cost and accuracy", "error against h", "V-curve"
PART_OVERFLOW, PART_GRADCHECK = "overflow", "gradient check"
H_USER = tuple(10.0 ** -k for k in range(1, 15))
MAX_DOUBLINGS = 1020           # 2**1020 is near float64's largest: past it, f does not overflow


def _na(part, what, why):
    return Record(SECTION, "", what, NOT_APPLICABLE, why, extra={"part": part})


def _first_coordinate(params):
    name = next(iter(params))
    v = params[name]
    return name, ((0,) * np.ndim(v) if isinstance(v, np.ndarray) else ())


def _scaled(params, s):
    return {k: (v * s if isinstance(v, np.ndarray) else float(v) * s) for k, v in params.items()}


def _overflow_point(f, params):
    """The params scaled by the first power of two at which f is no longer finite, or None."""
    with np.errstate(all="ignore"):
        for k in range(1, MAX_DOUBLINGS):
            p = _scaled(params, 2.0 ** k)
            try:
                v = f(p, NUMPY)
            except (ArithmeticError, ValueError):
                return p, k
            if not np.all(np.isfinite(v)):
                return p, k
    return None


def _overflow(f, params, name, budget):
    found = _overflow_point(f, params)
    if found is None:
        return [_na(PART_OVERFLOW, "overflow probe", f"f stays finite with its params scaled up to 2^{MAX_DOUBLINGS}")]
    p, k = found
    wrt, idx = _first_coordinate(p)
    case = f"{name}, params x 2^{k}"
    try:
        d, ref = _budget.run(highprec.derivatives, f, p, wrt, idx, (1,), cpu=budget, what="the 50-digit reference")
        exact = d[1]
    except DiffcompareError as e:
        exact, ref = float("nan"), f"none ({' '.join(str(e).split())})"
    out = []
    for m in st.OVERFLOW_METHODS:
        try:
            with np.errstate(all="ignore"):
                g = api.grad(f, m)(p)[wrt]
            value = float(g[idx] if isinstance(g, np.ndarray) else g)
        except (ImportError, DiffcompareError) as e:
            out.append(Record(st.SECTION, case, m, st.REFUSED, str(e), "", f"d/d{wrt}", ref,
                              {"error": type(e).__name__, "part": st.OVERFLOW}))
            continue
        out.append(Record(st.SECTION, case, m, st.RETURNED, value, "", f"d/d{wrt}", ref,
                          {"exact": exact, "part": st.OVERFLOW, "scale": k}))
    return out


def _vcurve(f, params, name, quick, budget, schemes):
    wrt, idx = _first_coordinate(params)
    hs = stepsweep.default_hs(hmax=1.0, per_decade=2 if quick else 4)
    try:
        sw = _budget.run(stepsweep.sweep, f, params, wrt, idx, schemes=schemes, hs=hs, model_name=name,
                         jitter=2 if quick else 4, cpu=budget, what="the V-curve's 50-digit derivatives")
    except DiffcompareError as e:
        return [_na(PART_VCURVE, "V-curve", " ".join(str(e).split()))]
    return stepsweep.sweep_to_records(sw)


def _gradcheck(f, params, grad):
    from ..gradcheck import gradcheck
    try:
        res = gradcheck(lambda p: f(p, NUMPY), params, grad=grad)
    except DiffcompareError as e:
        return [_na(PART_GRADCHECK, "gradient check", " ".join(str(e).split()))]
    return [Record(SECTION, "", "gradcheck", GRADCHECK, res.status, extra={"part": PART_GRADCHECK,
                                                                          "summary": res.summary().strip().splitlines()[0]})]


def run(f, params, name="your model", quick=False, budget=DEFAULT_BUDGET, grad=None, progress=silent):
    """Every part that applies to ``f`` at ``params``, as records."""
    progress("your model: every method against the reference", 0, 5)
    cmp = compare(f, params, budget=budget, name=name, repeats=3 if quick else 5)
    out = list(cmp.records)
    out += [_na(PART_COST, r.method, r.value) for r in cmp.records if r.metric == "failed"]
    progress("your model: error against h", 1, 5)
    ref = next(r for r in cmp.records if r.metric == "reference")

    def reference(model, p):
        return cmp_reference(f, p, ref.value, budget)
    out += accuracy.accuracy_records([(name, f, params)], H_USER[::2] if quick else H_USER,
                                     reference=reference, progress=progress)
    progress("your model: the V-curve", 2, 5)
    refused = {r.method for r in cmp.records if r.metric == "failed"}
    out += _vcurve(f, params, name, quick, budget, tuple(s for s in api.FD_METHODS if s not in refused))
    progress("your model: near its overflow", 3, 5)
    out += _overflow(f, params, name, budget)
    progress("your model: gradient check", 4, 5)
    out += _gradcheck(f, params, grad) if grad is not None else [
        _na(PART_GRADCHECK, "gradient check", "no gradient of yours to check (give --grad MODULE:FUNC)")]
    return out


def cmp_reference(f, params, label, budget):
    """The same reference ``compare`` chose, at other params (float32-rounded ones)."""
    if label in api.METHODS:
        return api.grad(f, label)(params), label
    return _budget.run(highprec.gradient, f, params, cpu=budget, what="the 50-digit reference")
