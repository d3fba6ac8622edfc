"""The Training section: the same model trained with each gradient source; learning rates, momentum, SGD, digits."""
from __future__ import annotations

from ...experiments import training as experiment
from ...records import select
from .. import fig_train
from ..section import Section, fmt_err, num


def _figs_training(records):
    """One figure per training experiment present, from fig_train's FIGURES map (captions
    are the figure functions' first docstring lines)."""
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


def _conclude_training(records):
    rs = [r for r in select(records, section="train")]
    num = [r for r in rs if num(r)]
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


SECTION = Section(
    "train", "Training",
    "The same model trained with each gradient source; learning rates, momentum, SGD "
    "vs batch, digits.",
    experiment.run, _figs_training, _conclude_training, _tables_training)
