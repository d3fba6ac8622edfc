"""The Training section: the lecture's perceptron demonstrations, every gradient source,
learning rates, momentum, SGD, the SVM's margin, second-order methods, digits."""
from __future__ import annotations

from ...experiments import training as experiment
from ...experiments import training_lecture as lec
from ...experiments import training_margin as mar
from ...experiments import training_newton as newt
from ...experiments import training_optim as opt_
from ...experiments import training_sources as src
from ...experiments.training_common import UNAVAILABLE
from ...records import select
from .. import fig_train
from ..section import Section, fmt_err, fmt_s, num

EXACT_SOURCES = ("autodiff", "autodiff-forward", "symbolic", "autograd")


def _figs_training(records):
    """One figure per training experiment present, from fig_train's FIGURES map (captions
    are the figure functions' first docstring sentences)."""
    rs = select(records, section="train")
    present = {r.extra.get("experiment") for r in rs}
    out = []
    for name, fn in fig_train.FIGURES.items():
        if name not in present:
            continue
        doc = " ".join((fn.__doc__ or name.replace("_", " ")).split())
        caption = doc.split(". ")[0].rstrip(".") + "."
        out.append((name, (lambda fn=fn: fn(rs)), caption))
    return out


def _loss_grads(records):
    rs = [r for r in select(records, section="train") if r.extra.get("experiment") == "losses"
          and r.metric in (src.DL_DW, UNAVAILABLE)]
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
            row.append("" if r is None else f"{r.value:.6g}" if num(r) else "refused")
        rows.append(row)
    ref = next((r.reference for r in rs if r.reference), "")
    return [(f"dL/dw of each perceptron loss at smooth points, kinks and jumps, by gradient source "
             f"(reference {ref})", ("loss, point", *methods), rows)]


def _conclude_losses(records):
    rs, settings, methods, cell = _loss_grads(records)
    out = []
    for st in settings:
        ref = next((cell[(st, m)] for m in ("autograd", "autodiff") if (st, m) in cell and num(cell[(st, m)])), None)
        if ref is None:
            continue
        off = [(m, cell[(st, m)].value) for m in methods
               if (st, m) in cell and num(cell[(st, m)])
               and abs(cell[(st, m)].value - ref.value) > 1e-3 * max(abs(ref.value), 1e-6)]
        if off:
            out.append(f"{st}: " + ", ".join(f"{m} {v:.4g}" for m, v in off)
                       + f" against {ref.method} {ref.value:.4g} (a kink or jump: one-sided and wide "
                         "stencils see different slopes).")
    return out


def _of(records, experiment, metric, **where):
    return [r for r in records if r.extra.get("experiment") == experiment and r.metric == metric
            and all(r.extra.get(k) == v for k, v in where.items())]


def _first(records, experiment, metric, **where):
    found = _of(records, experiment, metric, **where)
    return found[0] if found else None


def _smallest(rs):
    wf, ls = _first(rs, "smallest_perceptron", lec.W_FINAL), _first(rs, "smallest_perceptron", lec.W_LEAST_SQUARES)
    if wf is None or ls is None:
        return []
    return [f"The smallest perceptron y = w x on the lecture's table: gradient descent ends at "
            f"w = {wf.value:.6g} ({wf.setting}); least squares gives {ls.value:.6g}."]


def _literal(rs):
    ex = "literal_update"
    per = {r.extra["eta"]: r for r in _of(rs, ex, lec.PASS_END_W)}
    full = {r.extra["eta"]: r for r in _of(rs, ex, lec.STEP_FACTOR)}
    crit, crit_row = _first(rs, ex, lec.CRITICAL_LR), _first(rs, ex, lec.CRITICAL_LR_SAMPLE)
    if 1.0 not in per or 1.0 not in full or crit is None:
        return []
    peak = _first(rs, ex, lec.MAX_LOSS, eta=1.0, sampling="per-sample")
    died = _first(rs, ex, lec.DIVERGED_AT, eta=1.0)
    ws = per[1.0].extra["w"]
    line = (f"The lecture's update w = w + (y − ŷ)x as written (η = 1): one row at a time in table "
            f"order w swings between {min(ws):.4g} and {max(ws):.4g} (loss up to {peak.value:.3g}) and "
            f"each pass ends at w = {per[1.0].value:.4g} -- the last row has x = 1, so its step sets "
            f"w = y/x -- never at least squares; on the full batch each step multiplies the error by "
            f"{full[1.0].value:.4g}")
    line += f" and the loss overflows at step {died.value}." if died is not None else "."
    small = [f"{e:g} ends at w = {r.value:.6g} ({r.extra['sampling']})" for e, r in sorted(per.items()) if e < 1]
    return [line, f"Why: a full-batch step multiplies w − w* by 1 − η·mean(x²), so descent converges "
                  f"only for η < {crit.value:.4g} ({crit.reference}); one row's step multiplies it by "
                  f"1 − η x², and every row contracts only for η < {crit_row.value:.4g}. "
                  + (f"η = {'; '.join(small)}." if small else "")]


def _sources(rs):
    drift = [r for r in rs if r.metric == src.TRAJECTORY_MAX_DIFF and num(r)]
    if not drift:
        return []
    by = {}
    for r in drift:
        by[r.method] = max(by.get(r.method, 0.0), r.value)
    exact = {m: v for m, v in by.items() if m in EXACT_SOURCES}
    fd = {m: v for m, v in by.items() if m not in exact}
    line = f"Same model, same optimizer, different gradient source: distance from the {drift[0].reference}"
    if exact:
        line += f" -- exact methods at most {fmt_err(max(exact.values()))}"
    if fd:
        worst = max(fd, key=fd.get)
        line += f", finite differences up to {fmt_err(fd[worst])} ({worst})"
    return [line + "."]


def _refusals(rs):
    groups = {}
    for r in rs:
        if r.metric == UNAVAILABLE:
            groups.setdefault((r.method, r.extra.get("reason"), r.extra.get("error")), []).append(r)
    out = []
    for (m, reason, _), lst in groups.items():
        cases = list(dict.fromkeys(f"{r.model} ({r.setting})" if r.setting else r.model for r in lst))
        where = ", ".join(cases[:3]) + (f", ... {len(cases) - 3} more" if len(cases) > 3 else "")
        why = "its backend does not import" if reason == "backend" else "it raised"
        out.append(f"{m} could not run {len(lst)} case{'s' if len(lst) != 1 else ''} ({why}) [{where}]: "
                   f"{lst[0].value}")
    return out


def _sweep(rs):
    crit = _first(rs, "lr_sweep", lec.CRITICAL_LR)
    sweep = sorted(_of(rs, "lr_sweep", lec.W_ERROR), key=lambda r: r.extra["lr"])
    if crit is None or not sweep:
        return []
    status = ", ".join(f"η {r.extra['lr']:g} {r.extra['status']}" for r in sweep)
    return [f"Learning rate: full-batch descent on the perceptron diverges above η = {crit.value:.4g}; "
            f"measured: {status}."]


def _margin(rs):
    m = {(r.model, r.method): r.value for r in _of(rs, "svm_vs_perceptron", mar.MARGIN) if num(r)}
    if {("perceptron", "autodiff"), ("svm", "autodiff"), ("svm", "sklearn")} - set(m):
        return []
    return [f"SVM vs perceptron on a separable 2-D set: the perceptron stops at the first separating "
            f"line, margin {m[('perceptron', 'autodiff')]:.3f}; hinge + L2 widens it to "
            f"{m[('svm', 'autodiff')]:.4f} (the exact maximum: {m[('svm', 'sklearn')]:.4f})."]


def _optim(rs):
    out = []
    steps = {r.extra.get("optimizer"): r for r in _of(rs, "momentum_vs_gd", opt_.STEPS_TO_TOL)}
    if {"gd", "momentum"} <= set(steps):
        out.append(f"Momentum on an ill-conditioned quadratic: {steps['momentum'].value} steps to "
                   f"{steps['momentum'].reference} against {steps['gd'].value} for plain gradient descent.")
    fl = [r for r in _of(rs, "sgd_vs_full", src.FINAL_LOSS) if num(r)]
    if fl:
        out.append(f"SGD vs batch ({fl[0].model}, same epochs): final loss "
                   + ", ".join(f"{r.setting} {r.value:.3g}" for r in fl) + ".")
    return out


def _second(rs):
    ex = "second_order"
    out = []
    for model in dict.fromkeys(r.model for r in _of(rs, ex, src.FINAL_LOSS)):
        mine = [r for r in rs if r.model == model]
        best = _first(mine, ex, newt.BEST_LOSS)
        cost = {r.extra["optimizer"]: r for r in _of(mine, ex, newt.COST_TO_TARGET)}
        final = {r.extra["optimizer"]: r for r in _of(mine, ex, src.FINAL_LOSS)}
        t = {r.extra["optimizer"]: r for r in _of(mine, ex, newt.RUN_S)}
        parts = []
        for o, r in final.items():
            c = cost[o].value
            parts.append(f"{o} {r.value:.6g} ("
                         + (f"target after {c} gradients + HVPs" if c is not None else "target not reached")
                         + f", {fmt_s(t[o].value)} CPU [{fmt_s(t[o].lo)}–{fmt_s(t[o].hi)}])")
        out.append(f"Second order on {model} (best loss {best.value:.6g}; target: "
                   f"{next(iter(cost.values())).reference}; CPU time per run, median [min–max]): "
                   + "; ".join(parts) + ".")
    return out


def _digits(rs):
    acc = [r for r in _of(rs, "digits", opt_.TEST_ACCURACY) if num(r)]
    if not acc:
        return []
    r, t = acc[0], _first(rs, "digits", opt_.EPOCH_S)
    return [f"Digits: {r.value:.1%} test accuracy ({r.setting}; {r.reference})"
            + (f", {fmt_s(t.value)} [{fmt_s(t.lo)}–{fmt_s(t.hi)}] per epoch." if t is not None else ".")]


def _conclude_training(records):
    rs = select(records, section="train")
    return (_smallest(rs) + _literal(rs) + _sweep(rs) + _sources(rs) + _refusals(rs)
            + _conclude_losses(records) + _margin(rs) + _optim(rs) + _second(rs) + _digits(rs))


SECTION = Section(
    "train", "Training",
    "The same gradients train the lecture's perceptrons and MLPs: its own update at η = 1 and "
    "the step size that converges, every gradient source, learning rates, momentum, SGD vs "
    "batch, the SVM's margin against the perceptron's, Newton-CG beside L-BFGS, digits.",
    experiment.run, _figs_training, _conclude_training, _tables_training)
