"""The lecture's summary slide, rebuilt with evidence.

    Numerical gradient: easy to implement, bad to use.
    Symbolic gradient:  sometimes useful, often intractable.
    Automatic gradient: exact, fast, error-prone.
    In practice: use symbolic gradient for small/trivial programs; almost always use the
    analytic gradient, but check it with a numerical gradient (a gradient check).

Each claim is put beside the numbers of a run (records) that support or qualify it; the
lines of code of each method are counted from this package's own source files. Nothing
here measures (except ``loc_records``, which counts lines) and every number shown comes
from a record.
"""
from __future__ import annotations

import ast
import io as _io
import math
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

from ..records import Record, select
from .section import big, fmt_err, fmt_s, fmt_x

__all__ = ["loc_records", "count_loc", "slide_rows", "advice_lines", "slide_text", "slide_figure",
           "CLAIMS", "FAMILIES"]

PACKAGE = Path(__file__).resolve().parent.parent
# The source of each way of differentiating, as files of this package.
FAMILIES = {
    "numerical": ("numerical.py",),
    "symbolic": ("symbolic.py",),
    "automatic": ("tracer.py", "primitives.py"),
}
CLAIMS = (("numerical", "Numerical gradient", "easy to implement, bad to use"),
          ("symbolic", "Symbolic gradient", "sometimes useful, often intractable"),
          ("automatic", "Automatic gradient", "exact, fast, error-prone"))
# When a number supports its claim (the marks on the slide): computed, with these thresholds.
EXACT = 1e-13        # a float64 gradient error below this is "exact" (round-off level)
FAST = 10.0          # a gradient for at most this many evaluations is "fast" (a small multiple)
SWELL = 100.0        # a derivative tree this many times our tape is "intractable" as a formula


LEGEND = ("+ / ✓ the number supports the claim, ~ / ≈ it qualifies it, · context "
          f"(thresholds: exact < {EXACT:g}, fast < {FAST:g} evaluations per gradient, "
          f"intractable: tree > {SWELL:g}× our tape)")
ADVICE = ("Use symbolic gradient for small/trivial programs.",
          "Almost always use analytic gradient, but check correctness of implementation with "
          "numerical gradient (a gradient check).")


def count_loc(path):
    """Lines of code in a Python file: not blank, not a comment, not a docstring."""
    text = Path(path).read_text(encoding="utf-8")
    skip = set()
    tree = ast.parse(text)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
                    and isinstance(body[0].value.value, str):
                skip.update(range(body[0].lineno, body[0].end_lineno + 1))
    code = set()
    for tok in tokenize.generate_tokens(_io.StringIO(text).readline):
        if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
                        tokenize.DEDENT, tokenize.ENDMARKER):
            continue
        code.update(range(tok.start[0], tok.end[0] + 1))
    return len(code - skip)


def loc_records(package=PACKAGE):
    """Records ``loc`` (section ``summary``) per family of methods, counted from the files in
    ``FAMILIES``; a family whose file is missing gets no record."""
    out = []
    for fam, files in FAMILIES.items():
        paths = [Path(package) / f for f in files]
        if not all(p.exists() for p in paths):
            continue
        n = sum(count_loc(p) for p in paths)
        out.append(Record("summary", "", fam, "loc", n, "lines", ", ".join(files),
                          extra={"files": list(files)}))
    return out


@dataclass
class Evidence:
    text: str
    supports: bool | None = None     # True supports the claim, False qualifies it, None neutral


@dataclass
class Row:
    key: str
    method: str
    claim: str
    evidence: list = field(default_factory=list)


def _num(r):
    v = r.value
    return isinstance(v, (int, float)) and not isinstance(v, bool) and (isinstance(v, int) or math.isfinite(v))


def _nums(records, **where):
    return [r for r in select(records, **where) if _num(r)]


def _loc(records, fam):
    r = _nums(records, section="summary", method=fam, metric="loc")
    return Evidence(f"{r[0].value} lines of code ({r[0].setting})") if r else None


def _numerical(records):
    ev = [_loc(records, "numerical")]
    loc = {r.method: r.value for r in _nums(records, section="summary", metric="loc")}
    if ev[0] is not None and "automatic" in loc:
        ev[0].supports = loc["numerical"] < loc["automatic"]
        ev[0].text += f" vs {loc['automatic']} for reverse-mode autodiff"
    best = _nums(records, section="accuracy", method="central", metric="best_rel_error")
    b64 = [r for r in best if r.extra.get("dtype") == "float64"]
    b32 = [r for r in best if r.extra.get("dtype") == "float32"]
    ex = [r for r in _nums(records, section="accuracy", metric="rel_error")
          if "h" not in r.extra and r.extra.get("dtype") == "float64"]
    if b64:
        w = max(b64, key=lambda r: r.value)
        t = f"best central-difference error {fmt_err(w.value)} (at h={w.extra['h']:.0e}, {w.model})"
        if ex:
            t += f" vs {fmt_err(max(r.value for r in ex))} for the exact methods"
        ev.append(Evidence(t, w.value > 1e3 * max(max((r.value for r in ex), default=0.0), 1e-16)))
    if b32:
        w = max(b32, key=lambda r: r.value)
        ex32 = [r.value for r in _nums(records, section="accuracy", metric="rel_error", method="autodiff")
                if r.extra.get("dtype") == "float32"]
        t = f"float32: {fmt_err(w.value)} at best"
        if ex32:
            t += f" (autodiff {fmt_err(max(ex32))})"
        ev.append(Evidence(t, w.value > 10 * max(ex32, default=6e-8)))
    evals = _nums(records, section="speed", method="central", metric="evals")
    if evals:
        r = max(evals, key=lambda r: r.extra.get("n", 0))
        ev.append(Evidence(f"{r.value} evaluations per gradient at n={r.extra.get('n')}",
                           r.value >= r.extra.get("n", 0)))
    return ev


def _symbolic(records):
    ev = [_loc(records, "symbolic")]
    sw = select(records, section="swell")
    tree = [r for r in sw if _num(r) and r.metric in ("tree", "rev_tree") and "depth" in r.extra]
    if tree:
        r = max(tree, key=lambda r: r.value)
        d = r.extra["depth"]
        same = {x.metric: x.value for x in sw if _num(x) and x.extra.get("depth") == d and x.model == r.model}
        t = f"the gradient as a tree: {big(r.value)} nodes at depth {d} ({r.model})"
        dag = same.get("dag", same.get("rev_dag"))
        if dag is not None:
            t += f"; as a DAG {big(dag)}"
        if "tape" in same:
            t += f"; our tape {big(same['tape'])} ops"
        ev.append(Evidence(t, r.value > SWELL * same.get("tape", r.value)))
    stops = [r for r in sw if r.metric == "diff_status" and isinstance(r.value, str)
             and r.value.startswith("intractable")]
    for r in stops:
        ev.append(Evidence(f"sympy.diff of the gradient {r.value} ({r.model})", True))
    simp = [r for r in sw if r.metric == "simplify_status" and isinstance(r.value, str)
            and r.value.startswith("intractable")]
    if simp:
        r = min(simp, key=lambda r: r.extra.get("depth", 1e9))
        ev.append(Evidence(f"sympy.simplify {r.value} ({r.model})", True))
    acc = _nums(records, section="accuracy", method="symbolic", metric="rel_error")
    if acc:
        e64 = [r.value for r in acc if r.extra.get("dtype") == "float64"]
        if e64:
            ev.append(Evidence(f"error {fmt_err(max(e64))} on the lecture's small models (float64)",
                               max(e64) < EXACT))
    sp = [r for r in _nums(records, section="speed", method="symbolic", model="softplus_chain")]
    if sp:
        d = max(r.extra["depth"] for r in sp)
        su = [r.value for r in sp if r.metric == "setup_s" and r.extra["depth"] == d]
        ca = [r.value for r in sp if r.metric == "s_per_grad" and r.extra["depth"] == d]
        if su and ca:
            ev.append(Evidence(f"setup {fmt_s(su[0])}, then {fmt_s(ca[0])} per gradient (depth {d})"))
    return ev


def _automatic(records):
    ev = [_loc(records, "automatic")]
    acc = [r for r in _nums(records, section="accuracy", method="autodiff", metric="rel_error")
           if r.extra.get("dtype") == "float64"]
    if acc:
        worst = max(r.value for r in acc)
        ev.append(Evidence(f"autodiff error {fmt_err(worst)} (float64, "
                           f"{len(acc)} model{'s' if len(acc) != 1 else ''})", worst < EXACT))
    ratio = _nums(records, section="speed", method="autodiff", metric="cost_ratio")
    if ratio:
        r = max(ratio, key=lambda r: r.extra.get("n", 0))
        ev.append(Evidence(f"a gradient costs {fmt_x(r.value)} one evaluation at n={r.extra.get('n')}",
                           r.value < FAST))
    bad = [r for r in select(records, section="fd_stability", method="autodiff", metric="returned")
           if isinstance(r.value, float) and not math.isfinite(r.value)]
    if bad:
        r = bad[0]
        ev.append(Evidence(f"returns {r.value} for dL/dw where f overflows ({r.model}; exact "
                           f"{r.extra.get('exact', float('nan')):.6g}): exact rules, inexact program", True))
    caught = _gradcheck_share(records)
    if caught:
        ev.append(Evidence(caught, None))
    return ev


def _gradcheck_share(records):
    """'our gradient check catches k of N seeded bugs ...' from the gradient-check records."""
    gc = select(records, section="gradcheck")
    det = [r for r in gc if _num(r) and r.metric == "detection_rate" and r.method == "diffcompare"]
    if not det:
        return None
    caught = sum(int(r.extra.get("caught", 0)) for r in det)
    bugs = sum(int(r.extra.get("bugs", 0)) for r in det)
    fa = [x for x in gc if x.metric == "false_alarms" and x.method == "diffcompare" and _num(x)]
    parts = ", ".join(f"{r.extra.get('caught', '?')}/{r.extra.get('bugs', '?')} in {r.setting}" for r in det)
    t = f"our gradient check catches {caught} of {bugs} seeded gradient bugs ({caught / bugs:.0%}: {parts})" \
        if bugs else f"our gradient check: {parts}"
    if fa:
        alarms = sum(x.value for x in fa)
        correct = sum(int(x.extra.get("correct", 0)) for x in fa)
        t += f", with {alarms} false alarm{'s' if alarms != 1 else ''} on {correct} correct gradients"
    return t


def slide_rows(records):
    rows = []
    for (key, method, claim), build in zip(CLAIMS, (_numerical, _symbolic, _automatic)):
        rows.append(Row(key, method, claim, [e for e in build(records) if e is not None]))
    return rows


def advice_lines(records):
    """The "in practice" advice, each part with the numbers behind it."""
    out = []
    sw = select(records, section="swell")
    line = f"In practice: {ADVICE[0]}"
    parts = []
    for model in dict.fromkeys(r.model for r in sw if r.metric == "diff_s"):
        diffs = [r for r in sw if r.model == model and r.metric == "diff_s" and _num(r) and "depth" in r.extra]
        if not diffs:
            continue
        r = max(diffs, key=lambda r: r.extra["depth"])
        t = f"{model} up to depth {r.extra['depth']} ({fmt_s(r.value)})"
        stop = [x for x in sw if x.model == model and x.metric == "diff_status" and isinstance(x.value, str)
                and x.value.startswith("intractable")]
        if stop:
            t += f", {stop[0].value}"
        parts.append(t)
    if parts:
        line += " Measured: sympy.diff of the whole gradient finished for " + "; ".join(parts) + "."
    out.append(line)
    line = ADVICE[1]
    share = _gradcheck_share(records)
    if share:
        line += f" Measured: {share}."
    out.append(line)
    return out


def slide_text(records, source=""):
    """The slide as plain text (what ``diffcompare slide`` prints)."""
    lines = ["In summary" + (f"  [{source}]" if source else "")]
    for row in slide_rows(records):
        lines.append(f"- {row.method}: {row.claim}.")
        for e in row.evidence or [Evidence("not measured in this run")]:
            lines.append(f"      {'+' if e.supports else '~' if e.supports is False else '·'} {e.text}")
    lines.append("")
    lines.extend(advice_lines(records))
    lines.append("")
    lines.append(LEGEND)
    return "\n".join(lines)


def slide_figure(records):
    """The slide as a 16:9 matplotlib Figure."""
    import textwrap

    import matplotlib.pyplot as plt
    rows, advice = slide_rows(records), advice_lines(records)
    # lay out in inches from the top, then size the figure to fit (at least 16:9)
    items, y = [], 0.5
    items.append((0.6, y, "In summary", dict(fontsize=26, weight="bold")))
    y += 0.75
    for row in rows:
        items.append((0.6, y, f"{row.method}:", dict(fontsize=17, weight="bold")))
        items.append((4.2, y, row.claim, dict(fontsize=17)))
        y += 0.42
        for e in row.evidence or [Evidence("not measured in this run")]:
            mark = "✓" if e.supports else "≈" if e.supports is False else "•"
            for k, part in enumerate(textwrap.wrap(e.text, 92)):
                items.append((4.5, y, f"{mark if k == 0 else ' '} {part}", dict(fontsize=11.5, color="#334")))
                y += 0.25
        y += 0.18
    y += 0.1
    for k, line in enumerate(advice):
        for j, part in enumerate(textwrap.wrap(line, 115)):
            items.append((0.6, y, part, dict(fontsize=13, color="#143",
                                             weight="bold" if k == 0 and j == 0 else "normal")))
            y += 0.3
        y += 0.08
    height = max(7.2, y + 0.5)
    fig = plt.figure(figsize=(12.8, height))
    fig.patch.set_facecolor("white")
    for x, yy, text, kw in items:
        fig.text(x / 12.8, 1 - yy / height, text, va="top", **kw)
    fig.text(0.6 / 12.8, 0.15 / height, "Every number above comes from this run's records (diffcompare report).   "
             + LEGEND.split("+ / ", 1)[-1].replace("~ / ", ""), fontsize=8, color="#777")
    return fig
