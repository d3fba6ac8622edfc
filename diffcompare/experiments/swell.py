"""Expression swell: how big a symbolic derivative gets with depth, measured past where SymPy
can go -- the evidence for the slide's "symbolic gradient: often intractable".

Per depth of the lecture's nested log(1 + exp(.)) chain (and its width-2 variant, each unit
reading both units below; for ``logistic_map`` the depth is the number of steps n), the
steps of ``swell_steps`` run in their own processes under CPU budgets (``swell_sweep``);
``swell_laws`` fits what the counts show. The metric names are constants of those modules
(``swell_steps.TREE``, ``swell_laws.LAW``) and of this one (``STATUS``...). Then the
lecture's two Mathematica examples are recomputed, Baydin et al.'s logistic-map table is
checked, and SymPy's automatic evaluation is detected (``symbolic.lecture``).

"Intractable" is ``symbolic.DEFAULT_BUDGET`` CPU seconds per step, here as in the CLI; every
record carries the budget it was measured under (``extra["budget"]``).
"""
from __future__ import annotations

import dataclasses

from ..records import Record
from ..symbolic import DEFAULT_BUDGET
from ..symbolic.lecture import auto_evaluation, lecture_examples, logistic_table
from . import silent
from .swell_laws import findings
from .swell_steps import (
    COST_CSE,
    COST_NOCSE,
    REV_DAG,
    REV_DAG1,
    REV_S,
    REV_TREE,
    REV_TREE1,
    STEPS,
    TAPE,
)
from .swell_sweep import sweep

STATUS = "status"                        # a step without numbers at a depth (extra: the Status)
LECTURE = "lecture_example"              # value: SymPy's derivative; extra: the Example
BAYDIN_ROW = "baydin_row"                # extra: one row of the logistic-map table
AUTO_EVALUATION_ROW = "auto_evaluation_row"
SWELL_MODELS = ("softplus_chain", "logistic_map")
QUICK_STEPS = ("tan", "dag", "diff1", "diff", "cse1", "cse")
# The full run's sweeps: the lecture's nested log-exp (width 1: no value reused) and its
# width-2 variant (each unit reads both units below).
SWELL_FULL = ({"width": 1, "max_depth": 10}, {"width": 2, "max_depth": 12})

_REVERSE = (REV_TREE1, REV_DAG1, REV_TREE, REV_DAG, REV_S)
_COSTS = (COST_CSE, COST_NOCSE)


def model_label(name, width):
    return name if name == "logistic_map" else f"{name}(width={width})"


def rows_to_records(rows, name="softplus_chain", width=1, budget=DEFAULT_BUDGET):
    """Every number of the rows as a record (extra: depth, width, budget), each step without
    numbers as a STATUS record (extra: its Status), then the findings."""
    model = model_label(name, width)
    var = "n" if name == "logistic_map" else "depth"
    recs = []
    for r in rows:
        setting, extra = f"{var}={r['depth']}", {"depth": r["depth"], "width": width, "budget": budget}
        for k, v in r.items():
            if k in ("depth", "status"):
                continue
            method = "reverse-sweep" if k in _REVERSE else "autodiff" if k == TAPE else "symbolic"
            unit = "x eval" if k in _COSTS else "s" if isinstance(v, float) and k.endswith("_s") else ""
            recs.append(Record("swell", model, method, k, v, unit, setting, extra=extra))
        for st in r.get("status", {}).values():
            info = {k: v for k, v in dataclasses.asdict(st).items() if v is not None}
            recs.append(Record("swell", model, "symbolic", STATUS, st.state, "", setting,
                               extra={**extra, **info}))
    return recs + findings(rows, name, width, budget)


def swell_records(model_name="softplus_chain", max_depth=12, budget=DEFAULT_BUDGET, width=1, quick=False,
                  progress=silent):
    """The swell experiment as records (``quick``: depth <= 4 and the first steps, ~2 s)."""
    if quick:
        max_depth = min(max_depth, 4)
    rows = sweep(model_name, max_depth, budget, width, steps=QUICK_STEPS if quick else STEPS, progress=progress)
    return rows_to_records(rows, model_name, width, budget)


def lecture_records():
    """The lecture's two examples, Baydin et al.'s table and SymPy's automatic evaluation."""
    out = [Record("swell", "lecture", "symbolic", LECTURE, ex.output, "", f"Out[{ex.cell}]",
                  extra={"row": i, **dataclasses.asdict(ex)}) for i, ex in enumerate(lecture_examples())]
    out += [Record("swell", "baydin", "symbolic", BAYDIN_ROW, i, extra=row) for i, row in enumerate(logistic_table())]
    out += [Record("swell", "auto_evaluation", "symbolic", AUTO_EVALUATION_ROW, i, extra=row)
            for i, row in enumerate(auto_evaluation())]
    return out


def run(quick=False, progress=silent):
    """The swell section's records: the sweeps, then the lecture's demonstrations."""
    out = []
    for kw in ({"width": 1},) if quick else SWELL_FULL:
        out += swell_records("softplus_chain", quick=quick, progress=progress, **kw)
    progress("symbolic blow-up: the lecture's examples")
    return out + lecture_records()
