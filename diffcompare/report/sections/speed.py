"""The Speed section: time per gradient against n, cost in evaluations, SymPy's setup."""
from __future__ import annotations

from ...experiments import speed as experiment
from ...records import select
from ..section import Section, fmt_s, fmt_x, num


def _figs_speed(records):
    from .. import fig_speed
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
    rs = [r for r in select(records, section="speed") if num(r)]
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


SECTION = Section(
    "speed", "Speed",
    "Time per gradient against the number of parameters, and what one gradient costs "
    "in evaluations of the model.",
    experiment.run, _figs_speed, _conclude_speed)
