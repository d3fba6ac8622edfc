"""Run every method on one model and measure it: gradient error against a named reference,
time per gradient (median of repeats, setup apart), and each method's own counts. Produces
records; prints nothing."""
from __future__ import annotations

import numpy as np

from . import api
from .errors import DiffcompareError
from .params import flatten
from .records import Record
from .timing import measure

__all__ = ["compare_methods", "rel_error"]


def rel_error(g, ref):
    """max |g - ref| / max |ref| over all entries (a norm-wise relative error: entrywise
    ratios blow up on entries that are zero)."""
    a, b = flatten(g), flatten(ref)
    scale = np.max(np.abs(b)) if b.size else 0.0
    err = np.max(np.abs(a - b)) if a.size else 0.0
    return float(err / scale) if scale > 0 else float(err)


def compare_methods(model, params=None, methods=None, reference="autograd", repeats=5, min_time=0.01):
    """Records for each method on ``model``: rel_error vs ``reference``, s_per_grad (median),
    setup_s, and the method's counts. A method that fails yields a ``failed`` record with the
    message -- one method's failure never hides the others."""
    params = model.params if params is None else params
    methods = api.METHODS if methods is None else methods
    ref = api.grad(model, reference)(params)
    records = []
    name = model.name
    for m in methods:
        try:
            gf = api.grad(model, m)
            g = gf(params)
            t = measure(gf, params, repeats=repeats, min_time=min_time)
        except DiffcompareError as e:
            records.append(Record("compare", name, m, "failed", str(e)))
            continue
        records.append(Record("compare", name, m, "rel_error", rel_error(g, ref), "", reference=reference))
        records.append(Record.timing("compare", name, m, "s_per_grad", t))
        for k, v in gf.info.items():
            if k in ("method", "call_s"):
                continue
            records.append(Record("compare", name, m, k, v, "s" if k.endswith("_s") else ""))
    return records
