"""The overflow case of the Stability section: what each method RETURNS when the model's
value overflows (softplus log(1 + exp(w x + b)) with w x + b past the dtype's exp range).

The derivative is perfectly tame there (x * sigmoid(z), about x), but exp(z) = inf makes
f = inf, every difference quotient inf - inf = nan, and the chain rule multiplies
1/(1 + exp(z)) = 0 by exp(z) = inf: 0 * inf = nan. Which method returns nan, which a
wrong finite number and which the right one is measured, not assumed. Records (section
``fd_stability``, metric ``returned``); prints nothing.
"""
from __future__ import annotations

import numpy as np

from .. import api, models, stepsweep
from ..errors import DiffcompareError
from ..records import Record
from . import silent
from .accuracy import REFERENCE, reference_grad

__all__ = ["overflow_records", "CASES"]

# (dtype, w): z = 2 w + 0.1 is past exp's range (float64 ~709, float32 ~88)
CASES = ((np.float64, 400.0), (np.float32, 50.0))
METHODS = ("autodiff", "autodiff-forward", "autograd", "symbolic", "forward", "central",
           "complex-step", "richardson")
WHY = ("exp(z) overflows to inf, so f = inf: a difference quotient computes inf - inf = nan and "
       "the chain rule multiplies 1/(1 + exp(z)) = 0 by exp(z) = inf, giving nan; a method that "
       "returns a finite number either evaluated in a wider type or lost the overflow silently")


def overflow_records(quick=False, progress=None):
    model = models.get("softplus")
    out = []
    for dtype, w in CASES:
        params = {"w": dtype(w), "b": dtype(0.1)}
        z = float(dtype(2.0) * params["w"] + params["b"])
        case = f"overflow ({np.dtype(dtype).name}, z={z:g})"
        exact = reference_grad(model, {k: float(v) for k, v in params.items()})["w"]
        if progress:
            progress(f"stability: {case}")
        for m in METHODS:
            extra = {"exact": exact, "why": WHY, "dtype": np.dtype(dtype).name, "z": z}
            try:
                with np.errstate(all="ignore"):
                    value, g = api.value_and_grad(model, m)(params)
            except (ImportError, DiffcompareError) as e:
                out.append(Record("fd_stability", case, m, "refused_overflow", f"{type(e).__name__}: {e}",
                                  "", "", REFERENCE, extra))
                continue
            extra["f"] = float(value)
            out.append(Record("fd_stability", case, m, "returned", float(g["w"]), "", "dL/dw", REFERENCE, extra))
    return out


def run(quick=False, progress=silent):
    """The Stability section's records: what each method returns where f overflows, and the
    hard cases of the finite differences (cancellation, offsets, float32, kinks, chaos)."""
    out = overflow_records(quick, progress=progress)
    progress("stability: hard cases of finite differences")
    return out + stepsweep.stability_records(quick)
