"""The Stability experiment: what each method RETURNS where differentiation is hard.

* overflow: softplus log(1 + exp(w x + b)) with w x + b past the dtype's exp range -- the
  derivative is tame (x sigmoid(z), about x) but f = inf; which method returns nan, a wrong
  finite number or the right one is measured, not assumed;
* hard cases of finite differences at their automatic step: cancellation, a 1e8 offset,
  float32, a kink (against autodiff);
* the chaotic logistic map: error against the number of steps n;
* programs that are not differentiable as written, although their function is: the chain
  rule applied op by op can be wrong there (autodiff's own way to fail).

Every value names its reference (``highprec``, 50 digits, or the function's known
derivative); the explanations are written where they are shown (``report/sections``).
Records (section ``SECTION``); prints nothing.
"""
from __future__ import annotations

import numpy as np

from .. import api, models
from .. import numerical as nm
from ..errors import DiffcompareError
from ..highprec import derivatives
from ..records import Record
from . import silent

__all__ = ["run", "overflow_records", "case_records", "logistic_records", "kink_records", "SECTION",
           "RETURNED", "REL_ERROR", "REFUSED", "DERIVATIVE", "OVERFLOW", "HARD_CASE", "LOGISTIC", "NOT_DIFFERENTIABLE",
           "CANCELLATION", "OFFSET", "FLOAT32", "KINK", "RELU_IDENTITY", "MIN_RELU", "SQRT_X4", "OVERFLOW_METHODS",
           "AUTO", "FLOAT64_AUTO", "FIXED", "H_FIXED"]

SECTION = "fd_stability"
# metrics
RETURNED = "returned"        # the derivative a method returned (extra: exact, part)
REL_ERROR = "rel_error"      # |returned - exact| / |exact| (extra: exact, part, h, h_choice)
REFUSED = "refused"          # a method refused, value: its message (extra: error, part)
DERIVATIVE = "derivative"    # the reference derivative of a case (method "reference")
# parts of the section (extra["part"])
OVERFLOW, HARD_CASE, LOGISTIC, NOT_DIFFERENTIABLE = "overflow", "hard case", "logistic map", "not differentiable"
# hard cases (the record's model)
CANCELLATION, OFFSET, FLOAT32, KINK = "cancellation", "offset", "float32", "kink"
# programs that are not differentiable as written
RELU_IDENTITY, MIN_RELU, SQRT_X4 = "relu(x) - relu(-x) at 0", "min(relu(x), x) at 0", "sqrt(x**4) at 0"
# how a step was chosen (extra["h_choice"])
AUTO, FLOAT64_AUTO, FIXED = "auto", "float64 auto", "fixed"
H_FIXED = 3e-7               # the fixed step of the logistic map's central difference

# (dtype, w): z = 2 w + 0.1 is past exp's range (float64 ~709, float32 ~88)
OVERFLOW_CASES = ((np.float64, 400.0), (np.float32, 50.0))
OVERFLOW_METHODS = ("autodiff", "autodiff-forward", "autograd", "symbolic", "forward", "central",
                    "complex-step", "richardson")
EXACT_METHODS = ("autodiff", "autodiff-forward", "autograd", "symbolic")


def _softplus_z(params, xp):
    return xp.log(1 + xp.exp(params["z"]))


def _offset_softplus(params, xp):
    return 1e8 + xp.log(1 + xp.exp(params["w"] * 2.0 + 0.1))


def _softplus_w(params, xp):
    return xp.log(1 + xp.exp(params["w"] * 2.0 + 0.1))


def _abs_z(params, xp):
    return xp.abs(params["z"])


def _relu_identity(params, xp):
    # relu(x) - relu(-x) is x: derivative 1 everywhere, also at the kinks of both relus
    x = params["x"]
    return xp.maximum(x, 0.0) - xp.maximum(-x, 0.0)


def _min_relu(params, xp):
    # relu(x) >= x, so min(relu(x), x) is x: derivative 1; at 0 both ties are split in half
    x = params["x"]
    return xp.minimum(xp.maximum(x, 0.0), x)


def _sqrt_x4(params, xp):
    # sqrt(x**4) is x**2: derivative 0 at 0, but the chain rule meets sqrt'(0) = inf times 0
    return xp.sqrt(params["x"] ** 4)


HARD_CASES = {CANCELLATION: (_softplus_z, {"z": -28.0}, "z"),
              OFFSET: (_offset_softplus, {"w": 0.5}, "w"),
              FLOAT32: (_softplus_w, {"w": np.float32(0.5)}, "w"),
              KINK: (_abs_z, {"z": 1e-9}, "z")}
# the function each program computes, and its derivative at the point (known exactly)
KINK_CASES = {RELU_IDENTITY: (_relu_identity, {"x": 0.0}, "x", "x", 1.0),
              MIN_RELU: (_min_relu, {"x": 0.0}, "x", "x", 1.0),
              SQRT_X4: (_sqrt_x4, {"x": 0.0}, "x", "x**2", 0.0)}


def _refused(case, method, e, setting, ref, part):
    return Record(SECTION, case, method, REFUSED, str(e), "", setting, ref, {"error": type(e).__name__, "part": part})


def overflow_records(progress=silent):
    """What each method returns for dL/dw of softplus where exp(z) overflows."""
    model = models.get("softplus")
    out = []
    for dtype, w in OVERFLOW_CASES:
        params = {"w": dtype(w), "b": dtype(0.1)}
        z = float(dtype(2.0) * params["w"] + params["b"])
        case = f"overflow ({np.dtype(dtype).name}, z={z:g})"
        (d, ref) = derivatives(model, {k: float(v) for k, v in params.items()}, "w", orders=(1,))
        progress(f"stability: {case}")
        for m in OVERFLOW_METHODS:
            extra = {"exact": d[1], "dtype": np.dtype(dtype).name, "z": z, "part": OVERFLOW}
            try:
                with np.errstate(all="ignore"):
                    value, g = api.value_and_grad(model, m)(params)
            except (ImportError, DiffcompareError) as e:
                out.append(_refused(case, m, e, "dL/dw", ref, OVERFLOW))
                continue
            extra["f"] = float(value)
            out.append(Record(SECTION, case, m, RETURNED, float(g["w"]), "", "dL/dw", ref, extra))
    return out


def case_records(case):
    """Every scheme at its automatic step, and autodiff, on one hard case."""
    f, params, wrt = HARD_CASES[case]
    exact, ref = derivatives(f, params, wrt, orders=(0, 1))
    d_exact = exact[1]
    recs = [Record(SECTION, case, "reference", DERIVATIVE, d_exact, "", nm.model_dtype(params).name, ref,
                   {"part": HARD_CASE})]

    def add(method, value, h=None, choice=AUTO):
        extra = {"exact": d_exact, "part": HARD_CASE, "h_choice": choice}
        if h is not None:
            extra["h"] = h
        setting = "exact rules" if h is None else f"h={choice} ({h:.2e})"
        recs.append(Record(SECTION, case, method, RETURNED, float(value), "", setting, ref, extra))
        recs.append(Record(SECTION, case, method, REL_ERROR, abs(value - d_exact) / abs(d_exact), "", setting,
                           ref, extra))

    for s in nm.SCHEMES:
        try:
            d, _, _, h = nm.derivative(f, params, wrt, (), s, None)
        except nm.NotComplexSafe as e:
            recs.append(_refused(case, s, e, f"h={AUTO}", ref, HARD_CASE))
            continue
        add(s, d, h)
    if case == FLOAT32:
        d, _, _, h = nm.derivative(f, params, wrt, (), "central", nm.auto_step("central", 0.5, np.float64))
        add("central", d, h, FLOAT64_AUTO)
    _, g = api.value_and_grad(f, "autodiff")(params)
    add("autodiff", float(g[wrt]))
    return recs


def logistic_records(ns):
    """Relative error of the schemes and autodiff on the logistic map after n steps."""
    recs = []
    for n in ns:
        m = models.get("logistic_map", n=n)
        p = m.params
        exact, ref = derivatives(m, p, "x", orders=(0, 1))
        rows = []
        for s, h in (("central", H_FIXED), ("central", None), ("forward", None),
                     ("five-point", None), ("complex-step", None), ("richardson", None)):
            d, _, _, hu = nm.derivative(m, p, "x", (), s, h)
            rows.append((s, d, hu, AUTO if h is None else FIXED))
        _, g = api.value_and_grad(m, "autodiff")(p)
        rows.append(("autodiff", float(g["x"]), None, None))
        for s, d, hu, choice in rows:
            extra = {"n": n, "exact": exact[1], "h": hu, "h_choice": choice, "part": LOGISTIC}
            setting = f"n={n}" + ("" if choice is None else f" h={choice}")
            recs.append(Record(SECTION, "logistic_map", s, REL_ERROR, abs(d - exact[1]) / abs(exact[1]), "",
                               setting, ref, extra))
    return recs


def kink_records():
    """What each method returns where the program has a kink or an infinite partial although
    the function it computes is smooth there (the reference: that function's derivative)."""
    recs = []
    for case, (f, params, wrt, same_as, exact) in KINK_CASES.items():
        ref = "the derivative of the function the program computes"
        for m in EXACT_METHODS + ("central", "complex-step"):
            try:
                with np.errstate(all="ignore"):
                    g = api.grad(f, m)(params)[wrt]
            except (ImportError, DiffcompareError) as e:
                recs.append(_refused(case, m, e, f"{wrt}=0", ref, NOT_DIFFERENTIABLE))
                continue
            recs.append(Record(SECTION, case, m, RETURNED, float(g), "", f"{wrt}=0", ref,
                               {"exact": exact, "part": NOT_DIFFERENTIABLE, "same_as": same_as}))
    return recs


def run(quick=False, progress=silent):
    """The Stability section's records: overflow, the hard cases of finite differences, the
    logistic map, and programs that are not differentiable as written."""
    out = overflow_records(progress)
    progress("stability: hard cases of finite differences")
    for case in HARD_CASES:
        out += case_records(case)
    progress("stability: logistic map")
    out += logistic_records((4, 12, 20) if quick else (4, 8, 12, 16, 20))
    progress("stability: programs that are not differentiable as written")
    return out + kink_records()
