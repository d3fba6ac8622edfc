"""Compare every differentiation method on ANY model ``f(params, xp) -> scalar``: the error of
each gradient against a named reference, the time per gradient (median [min–max] over
rounds, setup apart) and each method's own counts (evaluations, tape length, expression
sizes). Produces records; prints nothing.

    >>> cmp = compare(f, params)                     # doctest: +SKIP
    >>> print(cmp.table())                           # doctest: +SKIP
    >>> cmp.reference                                # which reference the errors are against
    'SymPy derivative at 50 digits (mpmath)'

The reference (``reference=None``): SymPy's derivative at 50 digits (``highprec``) when the
model builds symbolically within ``budget`` CPU seconds, else the best exact method that
runs (autograd, then our autodiff) -- and the result says which, and why.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import api, highprec
from . import budget as _budget
from .errors import BadOptionError, DiffcompareError
from .params import flatten, size
from .records import Record, is_number, to_json
from .timing import measure

__all__ = ["compare", "Comparison", "compare_methods", "rel_error", "SECTION", "REL_ERROR", "S_PER_GRAD",
           "SETUP_S", "FAILED", "REFERENCE", "COUNTS", "DEFAULT_BUDGET", "FALLBACK"]

SECTION = "compare"
REL_ERROR = "rel_error"        # max-norm error / max |reference| (reference: its label)
S_PER_GRAD = "s_per_grad"      # seconds per gradient (a timing: median, min, max)
SETUP_S = "setup_s"            # one-off setup before the first gradient
FAILED = "failed"              # the method raised (value: its message; extra: error)
REFERENCE = "reference"        # the reference used (value: its label; extra: why)
# a method's own counts (its info key -> metric name and what the table calls it)
COUNTS = {"evals": "evals", "tape_length": "tape", "forward_passes": "passes", "grad_tree": "tree",
          "dag_size": "DAG"}
DEFAULT_BUDGET = 20.0          # CPU seconds for the symbolic reference and the symbolic method's setup
FALLBACK = ("autograd", "autodiff", "autodiff-forward")     # the exact methods, best first


def rel_error(g, ref):
    """max |g - ref| / max |ref| over all entries (a norm-wise relative error: entrywise
    ratios blow up on entries that are zero)."""
    a, b = flatten(g), flatten(ref)
    scale = np.max(np.abs(b)) if b.size else 0.0
    err = np.max(np.abs(a - b)) if a.size else 0.0
    return float(err / scale) if scale > 0 else float(err)


@dataclass
class Comparison:
    """The records of one comparison, the reference they name, and two ways to show them."""
    model: str
    records: list
    reference: str
    why: str = ""
    n: int = 0
    methods: list = field(default_factory=list)

    def to_json(self):
        return to_json(self.records, model=self.model, reference=self.reference, why=self.why, n=self.n)

    def table(self):
        """A text table: method, error against the reference, time per gradient median
        [min–max], setup, counts."""
        from .report.section import fmt_err, fmt_s, fmt_timing
        by = {}
        for r in self.records:
            by.setdefault(r.method, {})[r.metric] = r
        rows = [("method", "rel. error", "time per gradient", "setup", "counts")]
        for m in self.methods:
            d = by.get(m, {})
            if FAILED in d:
                rows.append((m, "failed", "", "", " ".join(str(d[FAILED].value).split())[:70]))
                continue
            counts = ", ".join(f"{label}={d[key].value:,}" for key, label in COUNTS.items() if key in d)
            err = d.get(REL_ERROR)
            rows.append((m, fmt_err(err.value) if err else "(the reference)" if m == self.reference else "",
                         fmt_timing(d[S_PER_GRAD]) if S_PER_GRAD in d else "",
                         fmt_s(d[SETUP_S].value) if SETUP_S in d else "", counts))
        widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
        lines = [f"{self.model}: n = {self.n} parameters; errors relative to max|gradient|, against the {self.reference}" +
                 (f" ({self.why})" if self.why else "")]
        for k, r in enumerate(rows):
            lines.append("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
            if k == 0:
                lines.append("  ".join("-" * w for w in widths))
        return "\n".join(lines)


def _reference(f, params, reference, budget):
    """(grads, label, why): the gradient every error is measured against."""
    if reference not in (None, "50-digit"):
        api.backend(reference, {})                         # an unknown name fails before any work
        return api.grad(f, reference, **_options(reference, budget))(params), reference, "chosen"
    why = ""
    try:
        g, label = _budget.run(highprec.gradient, f, params, cpu=budget, what="the 50-digit SymPy reference")
        if label != highprec.AUTODIFF_LABEL:
            return g, label, ""
        why = "SymPy could not run the model"
    except DiffcompareError as e:
        if reference == "50-digit":
            raise
        why = " ".join(str(e).split())
    except (ArithmeticError, TypeError, ValueError) as e:
        why = f"SymPy failed: {type(e).__name__}: {e}"
    for m in FALLBACK:
        try:
            return api.grad(f, m)(params), m, why
        except (ImportError, DiffcompareError) as e:
            why += f"; {m} failed: {e}"
    raise DiffcompareError(f"no reference gradient: {why}")


def _options(method, budget):
    return {"budget": budget} if method == "symbolic" else {}


def _counts(name, method, info, setting):
    out = []
    for key in COUNTS:
        v = info.get(key)
        if is_number(v):
            out.append(Record(SECTION, name, method, key, int(v), "", setting))
    return out


def compare(f, params, methods=None, reference=None, budget=DEFAULT_BUDGET, repeats=5, min_time=0.01,
            name=None, progress=None):
    """Every method in ``methods`` (default: all) on ``f`` at ``params`` -> a ``Comparison``.
    ``reference``: None (SymPy at 50 digits within ``budget``, else the best exact method),
    "50-digit" (that or an error), or a method name. A method that fails yields a ``FAILED``
    record with its message -- one method's failure never hides the others."""
    methods = list(api.METHODS if methods is None else methods)
    for m in methods:
        api.backend(m, {})
    if not (isinstance(budget, (int, float)) and not isinstance(budget, bool) and budget > 0):
        raise BadOptionError(f"budget must be a positive number of CPU seconds, got {budget!r}")
    name = name or getattr(f, "name", None) or getattr(f, "__name__", "f")
    ref, label, why = _reference(f, params, reference, budget)
    setting = f"n={size(params)}"
    records = [Record(SECTION, name, "", REFERENCE, label, "", setting, extra={"why": why})]
    for m in methods:
        if progress:
            progress(f"compare: {m}")
        try:
            gf = api.grad(f, m, **_options(m, budget))
            g = gf(params)
            t = measure(gf, params, repeats=repeats, min_time=min_time)
        except (ImportError, DiffcompareError) as e:
            records.append(Record(SECTION, name, m, FAILED, " ".join(str(e).split()), "", setting,
                                  extra={"error": type(e).__name__}))
            continue
        records += [Record(SECTION, name, m, REL_ERROR, rel_error(g, ref), "", setting, reference=label),
                    Record.timing(SECTION, name, m, S_PER_GRAD, t, setting=setting),
                    Record(SECTION, name, m, SETUP_S, float(gf.info.get("setup_s", 0.0)), "s", setting)]
        records += _counts(name, m, gf.info, setting)
    return Comparison(name, records, label, why, size(params), methods)


def compare_methods(model, params=None, methods=None, reference="autograd", repeats=5, min_time=0.01):
    """The records of ``compare`` for a catalogue model against a named method (the CLI's
    ``compare --reference``)."""
    params = model.params if params is None else params
    return compare(model, params, methods, reference, repeats=repeats, min_time=min_time, name=model.name).records
