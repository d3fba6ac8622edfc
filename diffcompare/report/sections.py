"""The report's sections: for each, the experiment that produces its records, the figures
drawn from them, and the short conclusion computed from them (no number typed by hand).

Sections whose experiment lives in another module (``swell``, ``numerical``/``stepsweep``,
``train``, ``gradcheck``) are looked up by name at run time: when the module or function is
not in this build, the section says so ("not available in this build: ...") and the rest of
the report still renders.
"""
from __future__ import annotations

import importlib
import inspect
import math
from dataclasses import dataclass
from typing import Callable

from ..records import Record, select

__all__ = ["Section", "SECTIONS", "Unavailable", "by_key", "fmt_err", "fmt_s", "fmt_x"]


class Unavailable(Exception):
    """A section's experiment is not part of this build (a module or function is missing)."""


@dataclass
class Section:
    key: str
    title: str
    intro: str
    run: Callable                     # (quick, progress) -> [Record]
    figures: Callable                 # records -> [(name, () -> Figure, caption)]
    conclude: Callable                # records -> [str]
    tables: Callable | None = None    # records -> [(caption, header, rows)]
    derived: bool = False


# --- formatting (the only place numbers become text) ------------------------------------

def fmt_err(x):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "nan"
    return "0" if x == 0 else f"{x:.1e}"


def fmt_s(s):
    if s is None:
        return "?"
    for unit, k in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if s >= k:
            return f"{s / k:.3g} {unit}"
    return f"{s * 1e9:.3g} ns"


def fmt_x(x):
    return f"{x:.3g}×"


def _isnum(v):
    # exact big ints (expression sizes) are finite but overflow float(): test floats only
    return isinstance(v, (int, float)) and not isinstance(v, bool) and (isinstance(v, int) or math.isfinite(v))


def _num(r):
    return _isnum(r.value)


def _find(module, *names):
    """The first of ``names`` defined in ``diffcompare.<module>``, or Unavailable."""
    try:
        mod = importlib.import_module(f"diffcompare.{module}")
    except ImportError as e:
        raise Unavailable(f"not available in this build: diffcompare.{module} is missing ({e})") from None
    for n in names:
        if hasattr(mod, n):
            return getattr(mod, n)
    raise Unavailable(f"not available in this build: diffcompare.{module} has none of {', '.join(names)}")


def _call(fn, quick, progress, **kw):
    """Call an experiment with ``quick`` and, if it takes one, a progress callback."""
    params = inspect.signature(fn).parameters
    if "progress" in params:
        kw["progress"] = lambda *a, **k: progress(" ".join(str(x) for x in a[:1]) or fn.__name__)
    return list(fn(quick=quick, **kw))


def _figs_from(module, *pairs):
    """Figures from another helper's fig module: [(name, function name, caption)]; missing
    functions are skipped (the section still shows its conclusions)."""
    def figures(records):
        try:
            mod = importlib.import_module(f"diffcompare.report.{module}")
        except ImportError:
            return []
        out = []
        for name, fn_name, caption in pairs:
            fn = getattr(mod, fn_name, None)
            if fn is not None:
                out.append((name, (lambda fn=fn: fn(records)), caption))
        return out
    return figures


# --- Accuracy ----------------------------------------------------------------------------

def _run_accuracy(quick, progress):
    from .accuracy import accuracy_records
    out = accuracy_records(quick, progress=progress)
    # the step sweep with its error model (another module): optional, its failure is noted
    try:
        sweep = _find("stepsweep", "sweep_records")
        progress("accuracy: step sweep with error model")
        out += list(sweep(("softplus",), quick=quick))
    except Exception as e:          # noqa: BLE001 -- the section still has its own records
        out.append(Record("accuracy", "", "stepsweep", "part_failed", f"step sweep: {type(e).__name__}: {e}"))
    return out


def _figs_accuracy(records):
    from .fig_accuracy import fig_error_vs_h
    out = [("error_vs_h", lambda: fig_error_vs_h(records),
            "Relative gradient error against the step h for each finite-difference scheme "
            "(solid), and each exact method's error (dashed), float64 (top) and float32 (bottom).")]
    if select(records, section="fd_sweep"):
        out += _figs_from("fig_fd", ("vcurve", "fig_vcurve",
                                     "The V-curve of softplus' derivative in w: measured error (markers, RMS over "
                                     "jittered points) against the error model truncation + round-off (lines); "
                                     "o = the model's optimum, x = the automatic step."))(records)
    return out


def _conclude_accuracy(records):
    rs = [r for r in select(records, section="accuracy") if _num(r)]
    out = []
    ref = next((r.reference for r in rs if r.reference), None)
    if ref:
        out.append(f"Errors are max-norm, relative to the largest gradient entry, against: {ref}.")
    for dt in ("float64", "float32"):
        best = [r for r in rs if r.metric == "best_rel_error" and r.extra.get("dtype") == dt]
        exact = [r for r in rs if r.metric == "rel_error" and "h" not in r.extra and r.extra.get("dtype") == dt]
        if not best:
            continue
        by = {}
        for r in best:
            by.setdefault(r.method, []).append(r)
        parts = []
        for m, lst in by.items():
            worst = max(lst, key=lambda r: r.value)
            parts.append(f"{m} {fmt_err(worst.value)} (h={worst.extra['h']:.0e}, {worst.model})")
        line = f"{dt}: best error of each scheme at its best h, worst over the models: " + "; ".join(parts) + "."
        if exact:
            w = max(exact, key=lambda r: r.value)
            line += f" The exact methods stay at or below {fmt_err(w.value)} ({w.method}, {w.model})."
        out.append(line)
    ctr = [r for r in rs if r.method == "central" and r.metric == "best_rel_error" and r.extra.get("dtype") == "float64"]
    cfl = [r for r in rs if r.method == "central" and r.metric == "best_rel_error" and r.extra.get("dtype") == "float32"]
    if ctr and cfl:
        a, b = max(r.value for r in ctr), max(r.value for r in cfl)
        out.append(f"Central differences lose {math.log10(b / a):.1f} more digits in float32 than in "
                   f"float64 ({fmt_err(b)} vs {fmt_err(a)}): round-off ~eps/h grows as eps does.")
    sl = [r for r in select(records, section="fd_sweep", metric="slope") if _num(r)
          and r.extra.get("dtype") == "float64"]
    if sl:
        out.append("Measured order (log-log slope of the error in the truncation range, float64): "
                   + ", ".join(f"{r.method} {r.value:.2f} (theory {r.extra.get('order', '?')})" for r in sl) + ".")
    au = [r for r in select(records, section="fd_sweep", metric="auto_error") if _num(r)
          and r.extra.get("dtype") == "float64"]
    if au:
        out.append("With the automatic step the error is: "
                   + ", ".join(f"{r.method} {fmt_err(r.value)} (h={r.extra['h']:.1e})" for r in au
                               if _isnum(r.extra.get("h"))) + f" ({au[0].model}).")
    ref = [r for r in select(records, section="accuracy", metric="refused")]
    if ref:
        lo = max(ref, key=lambda r: r.extra.get("h", 0))
        out.append(f"In {lo.extra.get('dtype')} the schemes refuse steps of h={lo.extra['h']:.0e} and below "
                   f"instead of returning noise ({lo.value.split(': ', 1)[-1]}).")
    for r in select(records, section="accuracy", metric="part_failed"):
        out.append(str(r.value))
    small = [r for r in rs if r.metric == "rel_error" and r.method == "forward" and r.extra.get("dtype") == "float64"]
    if small:
        hmin = min(small, key=lambda r: r.extra["h"])
        same = [r for r in small if r.model == hmin.model]
        best = min(same, key=lambda r: r.value)
        if hmin.value > 10 * best.value:
            out.append(f"Too small a step is bad too: forward differences on {hmin.model} err by "
                       f"{fmt_err(hmin.value)} at h={hmin.extra['h']:.0e}, against {fmt_err(best.value)} at "
                       f"h={best.extra['h']:.0e}.")
    return out


# --- Speed -------------------------------------------------------------------------------

def _run_speed(quick, progress):
    from ..speed import speed_records
    return speed_records(quick, progress=progress)


def _figs_speed(records):
    from . import fig_speed
    return [("time_vs_n", lambda: fig_speed.fig_time_vs_n(records),
             "Median seconds per gradient against the number of parameters n (log-log)."),
            ("cost_ratio", lambda: fig_speed.fig_cost_ratio(records),
             "Time per gradient divided by the time of one plain evaluation of the model."),
            ("symbolic_setup", lambda: fig_speed.fig_symbolic_setup(records),
             "SymPy's one-off setup (differentiate + lambdify) against its per-gradient time.")]


def _largest(rs, method, metric, model="mlp"):
    got = [r for r in rs if r.method == method and r.metric == metric and r.model == model]
    return max(got, key=lambda r: r.extra.get("n", 0)) if got else None


def _conclude_speed(records):
    rs = [r for r in select(records, section="speed") if _num(r)]
    out = []
    ratios = [r for r in rs if r.metric == "cost_ratio" and r.method == "autodiff"]
    if ratios:
        lo, hi = min(r.value for r in ratios), max(r.value for r in ratios)
        pts = sorted((r.extra["n"], r.value) for r in ratios)
        (n0, c0), (n1, c1) = pts[0], pts[-1]
        verdict = ("the cheap-gradient ratio does not grow with n" if c1 < 2 * c0 or n1 == n0 else
                   f"the ratio grew {c1 / c0:.2g}× while n grew {n1 / n0:.3g}×")
        out.append(f"Reverse mode (our tracer) costs {lo:.1f}-{hi:.1f} evaluations per gradient for "
                   f"n = {n0} ... {n1} parameters ({c0:.1f} at the smallest, {c1:.1f} at the largest): {verdict}.")
    for m in ("central", "forward", "autodiff-forward"):
        pts = sorted((r.extra["n"], r.value) for r in rs if r.method == m and r.metric == "cost_ratio")
        if len(pts) >= 2:
            (n0, c0), (n1, c1) = pts[0], pts[-1]
            out.append(f"{m}: {fmt_x(c0)} an evaluation at n={n0}, {fmt_x(c1)} at n={n1} "
                       f"(n grew {n1 / n0:.3g}×, the cost {c1 / c0:.3g}×).")
    ev = [r for r in rs if r.metric == "evals" and r.method == "central"]
    if ev:
        r = max(ev, key=lambda r: r.extra["n"])
        out.append(f"Central differences evaluate the model {r.value} times per gradient at n={r.extra['n']}.")
    a, b = _largest(rs, "autodiff", "s_per_grad"), _largest(rs, "autograd", "s_per_grad")
    if a and b and a.extra["n"] == b.extra["n"]:
        out.append(f"Our tracer vs autograd at n={a.extra['n']}: {fmt_s(a.value)} vs {fmt_s(b.value)} "
                   f"per gradient ({b.value / a.value:.2g}× autograd's time).")
    sym = [r for r in rs if r.model == "softplus_chain" and r.method == "symbolic"]
    if sym:
        d = max(r.extra["depth"] for r in sym)
        setup = [r.value for r in sym if r.metric == "setup_s" and r.extra["depth"] == d]
        call = [r.value for r in sym if r.metric == "s_per_grad" and r.extra["depth"] == d]
        ad = [r.value for r in rs if r.model == "softplus_chain" and r.method == "autodiff"
              and r.metric == "s_per_grad" and r.extra["depth"] == d]
        if setup and call:
            line = f"SymPy at depth {d}: setup {fmt_s(setup[0])}, then {fmt_s(call[0])} per gradient"
            if ad and ad[0] > call[0]:
                line += (f" against {fmt_s(ad[0])} for our tracer: it catches up with the tracer after "
                         f"{setup[0] / (ad[0] - call[0]):.3g} gradients.")
            elif ad:
                line += f", no faster than our tracer ({fmt_s(ad[0])}): the setup never pays off."
            out.append(line)
    msym = {r.metric: r for r in rs if r.model == "mlp" and r.method == "symbolic"}
    if "setup_s" in msym and "s_per_grad" in msym:
        n = msym["s_per_grad"].extra.get("n")
        line = (f"SymPy on the MLP (n={n}): setup {fmt_s(msym['setup_s'].value)}, then "
                f"{fmt_s(msym['s_per_grad'].value)} per gradient")
        if "cost_ratio" in msym:
            line += f" ({msym['cost_ratio'].value:.2g} evaluations)"
        out.append(line + ".")
    stopped = [r for r in select(records, section="speed", metric="skipped")]
    if stopped:
        out.append("Stopped where one gradient grows past the time cap (they grow ~n): "
                   + ", ".join(f"{r.method} after n={r.extra.get('n', '?')}" for r in stopped) + ".")
    failed = {r.method: r.value for r in select(records, section="speed", metric="failed")}
    for m, msg in failed.items():
        out.append(f"{m}: {msg}")
    return out


# --- sections owned by other modules (looked up by name) ---------------------------------

# The full run's swell sweeps: the lecture's nested log-exp (width 1: no value reused) and
# its width-2 variant (each unit reads both units below), each SymPy step under a budget
# (past it: "intractable at depth d", then skipped deeper). Quick: width 1, depth <= 4.
SWELL_FULL = ({"width": 1, "max_depth": 10, "budget": 1.0},
              {"width": 2, "max_depth": 12, "budget": 1.0})


def _run_swell(quick, progress):
    fn = _find("swell", "swell_records")
    out = []
    for kw in ({"width": 1},) if quick else SWELL_FULL:
        kw = dict(kw)
        if "progress" in inspect.signature(fn).parameters:
            kw["progress"] = lambda i, n, d, *a, w=kw["width"]: progress(
                f"symbolic blow-up: width {w}, depth {d} ({i}/{n})")
        out += list(fn("softplus_chain", quick=quick, **kw))
    out += _swell_extras(progress)
    return out


def _swell_extras(progress):
    """The lecture's two symbolic examples recomputed, Baydin et al.'s logistic-map table and
    SymPy's automatic evaluation (optional parts of the swell module; each is skipped, with a
    note, if missing or failing)."""
    from .. import swell
    out = []
    progress("symbolic blow-up: the lecture's examples")
    for name, fn_name in (("lecture", "lecture_examples"), ("baydin", "logistic_table"),
                          ("auto_evaluation", "auto_evaluation")):
        fn = getattr(swell, fn_name, None)
        if fn is None:
            continue
        try:
            rows = fn()
        except Exception as e:          # noqa: BLE001 -- an optional table; the sweep stands
            out.append(Record("swell", name, "symbolic", "part_failed", f"{fn_name}: {type(e).__name__}: {e}"))
            continue
        for i, row in enumerate(rows):
            if name == "lecture":
                out.append(Record("swell", "lecture", "symbolic", "lecture_example", str(row[1]), "", str(row[0]),
                                  extra={"row": i}))
            else:
                out.append(Record("swell", name, "symbolic", f"{name}_row", i, "", "", extra=dict(row)))
    return out


def _tables_swell(records):
    rs = select(records, section="swell")
    out = []
    lec = sorted((r for r in rs if r.metric == "lecture_example"), key=lambda r: r.extra.get("row", 0))
    if lec:
        out.append(("The lecture's two symbolic examples, recomputed with SymPy (Mathematica form)",
                    ("", "SymPy"), [(r.setting, r.value) for r in lec]))
    bay = [r.extra for r in rs if r.metric == "baydin_row"]
    if bay:
        out.append(("Baydin et al. (2018), Table 1, the logistic map l_{n+1} = 4 l_n (1 - l_n): published vs "
                    "recomputed", ("n", "published d l_n / dx", "tree of l_n", "tree of d/dx (sympy.diff)",
                                   "expanded derivative = published"),
                    [(b.get("n"), b.get("published_simplified", b.get("published_d", "")), b.get("tree_l"),
                      b.get("tree_d"), "yes" if b.get("matches_published") else "NO") for b in bay]))
    auto = [r.extra for r in rs if r.metric == "auto_evaluation_row"]
    if auto:
        out.append(("SymPy's automatic evaluation: rewrites that collapse a nest as it is built",
                    ("model", "tape ops", "ops collapsed by SymPy", "example"),
                    [(a.get("model"), a.get("tape"), a.get("collapsed"), a.get("example") or "-") for a in auto]))
    return out


def _figs_swell(records):
    rs = select(records, section="swell")
    figs = []
    for model in dict.fromkeys(r.model for r in rs if r.model and r.metric not in _SWELL_EXTRAS):
        mine = [r for r in rs if r.model == model]
        var = "n" if model == "logistic_map" else "depth"

        def build(mine=mine, model=model, var=var):
            from .fig_swell import swell_figure
            return swell_figure(mine, title=f"Expression swell of {model}'s derivative (log scale)", var=var)
        tag = "".join(c for c in model if c.isalnum() or c == "_")
        figs.append((f"sizes_{tag}", build,
                     f"{model}: sizes against depth, log10 scale - the derivative's tree (what a printed "
                     "formula shows), its DAG, ops after cse, and our autodiff tape."))
    if any(r.metric.endswith("_s") and _num(r) for r in rs):
        from .fig_speed import fig_swell_time
        figs.append(("time", lambda: fig_swell_time(rs), "Seconds per SymPy step against depth "
                                                        "(a step past its budget stops there)."))
    return figs


_SWELL_EXTRAS = ("lecture_example", "baydin_row", "auto_evaluation_row", "part_failed")


def _conclude_swell(records):
    rs = select(records, section="swell")
    out = []
    for r in rs:
        if r.metric == "part_failed":
            out.append(f"Not shown: {r.value}")
    for model in dict.fromkeys(r.model for r in rs if r.model and r.metric not in _SWELL_EXTRAS):
        mine = [r for r in rs if r.model == model]
        parts = []
        for metric, what in (("tree", "gradient tree (sympy.diff)"),
                             ("rev_tree", "gradient tree (reverse sweep, counted on the DAG)"),
                             ("dag", "its DAG"), ("cse_ops", "ops after cse"), ("tape", "our autodiff tape")):
            got = [r for r in mine if r.metric == metric and _num(r) and "depth" in r.extra]
            if got:
                r = max(got, key=lambda r: r.extra["depth"])
                parts.append(f"{what} {_big(r.value)} at depth {r.extra['depth']}")
        if parts:
            out.append(f"{model}: " + "; ".join(parts) + ".")
        finds = [r.value for r in mine if r.metric == "finding" and isinstance(r.value, str)]
        gave = [f[len("SymPy gave up: "):] for f in finds if f.startswith("SymPy gave up: ")]
        out += [f"{model}: {f}" for f in finds if not f.startswith("SymPy gave up: ")]
        if gave:
            out.append(f"{model}: SymPy gave up - " + "; ".join(gave) + ".")
    return out


def _big(n):
    if isinstance(n, int) and n >= 10 ** 7:
        s = str(n)
        return f"{s[0]}.{s[1:3]}e{len(s) - 1}"
    return f"{n:,}" if isinstance(n, int) else f"{n:.3g}"


def _run_stability(quick, progress):
    from .overflow import overflow_records
    out = overflow_records(quick, progress=progress)
    return out + _call(_find("stepsweep", "stability_records"), quick, progress)


def _returned(r):
    """What a method returned, in words: nan / inf / right / wrong (relative error)."""
    v, exact = r.value, r.extra.get("exact")
    if isinstance(v, str):
        return "refused"
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf"
    if exact:
        rel = abs(v - exact) / abs(exact)
        return f"{v:.4g} ({'right' if rel < 1e-6 else 'wrong'}, rel. error {fmt_err(rel)})"
    return f"{v:.4g}"


def _figs_stability(records):
    # the overflow table's records are not fig_stability's (it draws relative errors)
    theirs = [r for r in records if r.metric not in ("returned", "refused_overflow")]
    return _figs_from("fig_fd", ("stability", "fig_stability",
                                 "Left: relative error of each scheme at its automatic step and of autodiff "
                                 "on each hard case. Right: the chaotic logistic map, error against the "
                                 "number of steps n."))(theirs)


def _tables_stability(records):
    rs = [r for r in select(records, section="fd_stability") if r.metric in ("returned", "refused_overflow")]
    cases = list(dict.fromkeys(r.model for r in rs))
    if not cases:
        return []
    methods = list(dict.fromkeys(r.method for r in rs))
    rows = []
    for m in methods:
        row = [m]
        for c in cases:
            hit = next((r for r in rs if r.method == m and r.model == c), None)
            row.append(_returned(hit) if hit else "")
        rows.append(row)
    exact = [next((f"{r.extra['exact']:.6g}" for r in rs if r.model == c and "exact" in r.extra), "") for c in cases]
    rows.append(["exact (" + (rs[0].reference or "reference") + ")"] + exact)
    return [("What each method returns for dL/dw when the model's value overflows",
             ("method", *cases), rows)]


def _conclude_stability(records):
    ov = [r for r in select(records, section="fd_stability") if r.metric == "returned"]
    out = []
    for case in dict.fromkeys(r.model for r in ov):
        mine = [r for r in ov if r.model == case]
        kinds = {}
        for r in mine:
            k = _returned(r)
            k = k if k in ("nan", "inf") else ("the right value" if "right" in k else f"a wrong number ({k.split(' (')[0]})")
            kinds.setdefault(k, []).append(r.method)
        f = next((r.extra.get("f") for r in mine if "f" in r.extra), None)
        out.append(f"{case}: f = {f}; " + "; ".join(f"{', '.join(ms)} return{'s' if len(ms) == 1 else ''} {k}"
                                                    for k, ms in kinds.items())
                   + f" (exact {mine[0].extra.get('exact', float('nan')):.6g}). Why: {mine[0].extra.get('why', '')}.")
    rs = [r for r in select(records, section="fd_stability") if r.metric in ("rel_error", "refused", "derivative")]
    for case in dict.fromkeys(r.model for r in rs if r.model != "logistic_map"):
        mine = [r for r in rs if r.model == case and r.method != "reference"]
        errs = {}
        for r in mine:
            if r.metric == "rel_error" and _num(r) and r.method not in errs:
                errs[r.method] = r.value
            elif r.metric == "refused" and r.method not in errs:
                errs[r.method] = "refused"
        why = next((r.extra.get("why") for r in rs if r.model == case and r.extra.get("why")), "")
        parts = ", ".join(f"{m} {v if isinstance(v, str) else fmt_err(v)}" for m, v in errs.items())
        out.append(f"{case}: relative error {parts}. {why}")
    lm = [r for r in rs if r.model == "logistic_map" and r.metric == "rel_error" and _num(r)]
    if lm:
        n = max(r.extra.get("n", 0) for r in lm)
        parts = ", ".join(f"{r.method} ({r.setting.split(' ', 1)[-1]}) {fmt_err(r.value)}"
                          for r in lm if r.extra.get("n") == n)
        why = next((r.extra.get("why") for r in lm if r.extra.get("why")), "")
        out.append(f"Logistic map after n={n} steps: {parts}. {why}")
    return out


def _run_training(quick, progress):
    exps = _find("train.experiments", "EXPERIMENTS")
    out = []
    for name, fn in exps.items():       # one at a time, so the progress bar says which
        progress(f"training: {name}")
        out += list(fn(quick))
    return out


def _figs_training(records):
    """One figure per training experiment present, from fig_train's FIGURES map (captions
    are the figure functions' first docstring lines)."""
    try:
        from . import fig_train
    except ImportError:
        return []
    rs = select(records, section="train")
    present = {r.extra.get("experiment") for r in rs}
    out = []
    for name, fn in getattr(fig_train, "FIGURES", {}).items():
        if name not in present:
            continue
        doc = " ".join((fn.__doc__ or name.replace("_", " ")).split())
        caption = doc.split(". ")[0].rstrip(".") + "."
        out.append((name, (lambda fn=fn: fn(rs)), caption))
    return out


def _loss_grads(records):
    rs = [r for r in select(records, section="train") if r.extra.get("experiment") == "losses"
          and r.metric in ("dL_dw", "unavailable", "failed")]
    settings = list(dict.fromkeys(r.setting for r in rs if r.setting))
    methods = list(dict.fromkeys(r.method for r in rs))
    cell = {(r.setting, r.method): r for r in rs}
    return rs, settings, methods, cell


def _tables_training(records):
    rs, settings, methods, cell = _loss_grads(records)
    if not settings:
        return []
    rows = []
    for st in settings:
        row = [st]
        for m in methods:
            r = cell.get((st, m))
            row.append("" if r is None else f"{r.value:.6g}" if _num(r) else "refused")
        rows.append(row)
    ref = next((r.reference for r in rs if r.reference), "")
    return [(f"dL/dw of each perceptron loss at smooth points, kinks and jumps, by gradient source "
             f"(reference {ref})", ("loss, point", *methods), rows)]


def _conclude_losses(records):
    rs, settings, methods, cell = _loss_grads(records)
    out = []
    for st in settings:
        ref = next((cell[(st, m)] for m in ("autograd", "autodiff") if (st, m) in cell and _num(cell[(st, m)])), None)
        if ref is None:
            continue
        off = [(m, cell[(st, m)].value) for m in methods
               if (st, m) in cell and _num(cell[(st, m)])
               and abs(cell[(st, m)].value - ref.value) > 1e-3 * max(abs(ref.value), 1e-6)]
        if off:
            out.append(f"{st}: " + ", ".join(f"{m} {v:.4g}" for m, v in off)
                       + f" against {ref.method} {ref.value:.4g} (a kink or jump: one-sided and wide "
                         "stencils see different slopes).")
    return out


def _conclude_training(records):
    rs = [r for r in select(records, section="train")]
    num = [r for r in rs if _num(r)]
    out = []
    wf = [r for r in num if r.metric == "w_final" and r.model == "perceptron"]
    ls = [r for r in num if r.metric == "w_least_squares"]
    if wf and ls:
        out.append(f"The smallest perceptron y = w x on the lecture's table: gradient descent ends at "
                   f"w = {wf[0].value:.6g} ({wf[0].setting}); least squares gives {ls[0].value:.6g}.")
    drift = [r for r in num if r.metric == "trajectory_max_diff"]
    if drift:
        by = {}
        for r in drift:
            by[r.method] = max(by.get(r.method, 0.0), r.value)
        ref = next((r.reference for r in drift if r.reference), "")
        exact = {m: v for m, v in by.items() if m in ("autodiff", "autodiff-forward", "symbolic", "autograd")}
        fd = {m: v for m, v in by.items() if m not in exact}
        line = "Same model, same optimizer, different gradient source: distance from the " \
               f"{ref or 'reference trajectory'}"
        if exact:
            line += f" - exact methods at most {fmt_err(max(exact.values()))}"
        if fd:
            worst = max(fd, key=fd.get)
            line += f", finite differences up to {fmt_err(fd[worst])} ({worst})"
        out.append(line + ".")
    refused = {}
    for r in rs:
        if r.metric in ("unavailable", "failed") and isinstance(r.value, str):
            refused.setdefault((r.method, r.value.split(":", 1)[0] if ":" in r.value else r.value), []).append(r)
    for (m, _), lst in refused.items():
        cases = list(dict.fromkeys(f"{r.model} ({r.setting})" if r.setting else r.model for r in lst))
        where = ", ".join(cases[:3]) + (f", ... {len(cases) - 3} more" if len(cases) > 3 else "")
        out.append(f"{m} could not train {len(lst)} case{'s' if len(lst) != 1 else ''} [{where}]: "
                   f"{lst[0].value}")
    out += _conclude_losses(records)
    crit = [r for r in num if r.metric == "critical_lr"]
    sweep = [r for r in rs if r.metric == "w_error" and "lr" in r.extra]
    if crit and sweep:
        status = ", ".join(f"lr {r.extra['lr']:g} {r.extra.get('status', '?')}" for r in
                           sorted(sweep, key=lambda r: r.extra["lr"]))
        out.append(f"Learning rate: descent on the perceptron diverges above lr = {crit[0].value:.4g} "
                   f"({crit[0].reference}); measured: {status}.")
    steps = {r.extra.get("optimizer"): r.value for r in num if r.metric == "steps_to_tol"}
    if {"gd", "momentum"} <= set(steps):
        tol = next(r.reference for r in num if r.metric == "steps_to_tol")
        out.append(f"Momentum on an ill-conditioned quadratic: {steps['momentum']} steps to {tol} "
                   f"against {steps['gd']} for plain gradient descent.")
    fl = [r for r in num if r.metric == "final_loss" and r.extra.get("experiment") == "sgd_vs_full"]
    if fl:
        out.append(f"SGD vs batch ({fl[0].model}, same epochs): final loss "
                   + ", ".join(f"{r.setting} {r.value:.3g}" for r in fl) + ".")
    acc = [r for r in num if r.metric == "test_accuracy"]
    dig = [r for r in acc if r.extra.get("experiment") == "digits"] or acc
    if dig:
        r = max(dig, key=lambda r: r.value)
        out.append(f"Digits: {r.value:.1%} test accuracy ({r.setting}; {r.reference}).")
    return out


def _run_gradcheck(quick, progress):
    fn = _find("gradcheck", "gradcheck_records", "detection_records")
    return _call(fn, quick, progress)


def _conclude_gradcheck(records):
    rs = select(records, section="gradcheck")
    out = []
    ref = next((r.reference for r in rs if r.metric == "detection_rate" and r.reference), "")
    if ref:
        out.append(f"Detection: {ref}.")
    for dt in dict.fromkeys(r.setting for r in rs if r.metric in ("detection_rate", "false_alarms")):
        parts = []
        for checker in dict.fromkeys(r.method for r in rs if r.setting == dt):
            det = next((r for r in rs if r.setting == dt and r.method == checker and r.metric == "detection_rate"), None)
            fa = next((r for r in rs if r.setting == dt and r.method == checker and r.metric == "false_alarms"), None)
            if det is None:
                continue
            if not _num(det):
                parts.append(f"{checker} {det.reference or 'not run'}")
                continue
            t = f"{checker} catches {det.extra.get('caught', '?')}/{det.extra.get('bugs', '?')} ({det.value:.0%})"
            if fa is not None and _num(fa):
                t += f", {fa.value} false alarm{'s' if fa.value != 1 else ''} on {fa.extra.get('correct', '?')} correct gradients"
                if fa.extra.get("inconclusive"):
                    t += f" ({fa.extra['inconclusive']} inconclusive)"
            parts.append(t)
        if parts:
            out.append(f"{dt}: " + "; ".join(parts) + ".")
    missed = {}
    for r in rs:
        if r.metric == "detection_rate" and r.method == "diffcompare":
            for m in r.extra.get("missed") or []:
                # "name/bug/dtype/seed:status" -> grouped by bug name and status
                name, _, rest = str(m).partition("/")
                status = str(m).rsplit(":", 1)[-1] if ":" in str(m) else "?"
                dtype = next((p for p in str(m).split("/") if p.startswith("float")), "")
                missed.setdefault((name, dtype, status), 0)
                missed[(name, dtype, status)] += 1
    if missed:
        out.append("Missed by our check: " + "; ".join(
            f"{name} in {dt} ({k} case{'s' if k != 1 else ''}, status {st})" for (name, dt, st), k in missed.items())
            + " - bugs below the dtype's resolution.")
    return out


def _conclude_generic(key):
    def conclude(records):
        rs = select(records, section=key)
        out = []
        for r in rs:
            if r.metric in ("conclusion", "finding") and isinstance(r.value, str):
                out.append(r.value)
        return out
    return conclude


# --- Summary (the slide) -----------------------------------------------------------------

def _run_summary(quick, progress):
    from .slide import loc_records
    return loc_records()


def _figs_summary(records):
    from .slide import slide_figure
    return [("slide", lambda: slide_figure(records),
             "The lecture's summary slide, each claim beside the number measured in this run.")]


def _conclude_summary(records):
    from .slide import advice_lines
    return advice_lines(records)


def _tables_summary(records):
    from .slide import LEGEND, slide_rows

    def mark(e):
        return ("✓ " if e.supports else "≈ " if e.supports is False else "") + e.text
    rows = [(row.method, row.claim, "; ".join(mark(e) for e in row.evidence) or "not measured in this run")
            for row in slide_rows(records)]
    return [(f"The summary slide with its evidence ({LEGEND.split('+ / ', 1)[-1].replace('~ / ', '')})",
             ("gradient", "the lecture says", "measured here"), rows)]


SECTIONS = [
    Section("summary", "Summary: the lecture's slide, with evidence",
            "The closing slide of the lecture, each claim beside the number this run measured.",
            _run_summary, _figs_summary, _conclude_summary, _tables_summary),
    Section("accuracy", "Accuracy",
            "How close each method's gradient is to the exact one: finite differences trade "
            "truncation error (large h) against round-off (small h); exact methods sit at the "
            "round-off floor.",
            _run_accuracy, _figs_accuracy, _conclude_accuracy),
    Section("swell", "Symbolic blow-up",
            "Expression size of the symbolic derivative (tree, DAG, after cse) against our "
            "tape, by depth of the nested model, and the time to differentiate.",
            _run_swell, _figs_swell, _conclude_swell, _tables_swell),
    Section("speed", "Speed",
            "Time per gradient against the number of parameters, and what one gradient costs "
            "in evaluations of the model.",
            _run_speed, _figs_speed, _conclude_speed),
    Section("fd_stability", "Stability",
            "Overflow, cancellation and float32: what each method returns (nan, inf, a wrong "
            "number) and why.",
            _run_stability, _figs_stability,
            _conclude_stability, _tables_stability),
    Section("train", "Training",
            "The same model trained with each gradient source; learning rates, momentum, SGD "
            "vs batch, digits.",
            _run_training, _figs_training,
            _conclude_training, _tables_training),
    Section("gradcheck", "Gradient checks",
            "Seeded bugs in hand-written gradients: what share each check catches, and its "
            "false alarms on correct gradients.",
            _run_gradcheck, _figs_from("fig_gradcheck", ("detection", "fig_gradcheck",
                                                         "Share of seeded bugs caught (left) and of correct "
                                                         "gradients falsely failed (right), per checker and dtype.")),
            _conclude_gradcheck),
]


def by_key(key):
    for s in SECTIONS:
        if s.key == key:
            return s
    raise KeyError(key)
