"""The Training section: the lecture's perceptron demonstrations, every gradient source,
learning rates, momentum, SGD, the SVM's margin, second-order methods and a digits MLP.

Every sentence is written here from the training experiments' structured records (each
record names its experiment in ``extra["experiment"]``); the page shows the eight findings
that teach the most, the rest (and the tables) go into the collapsible part."""
from __future__ import annotations

from ...experiments import training as experiment
from ...experiments import training_lecture as lec
from ...experiments import training_margin as mar
from ...experiments import training_newton as newt
from ...experiments import training_optim as opt_
from ...experiments import training_sources as src
from ...experiments.training_common import SECTION as KEY
from ...experiments.training_common import UNAVAILABLE
from ...records import select
from .. import fig_train
from ..section import Section, fmt_err, fmt_timing, num

EXACT_SOURCES = ("autodiff", "autodiff-forward", "autodiff-compiled", "symbolic", "autograd")
# The metrics the sentences and figures read, which every quick run produces (UNAVAILABLE
# appears only when a backend fails, so it is read but not required).
READS = tuple((KEY, m) for m in (
    lec.W_FINAL, lec.W_LEAST_SQUARES, lec.LOSS_FLOOR, lec.PASS_END_W, lec.STEP_FACTOR, lec.CRITICAL_LR,
    lec.CRITICAL_LR_SAMPLE, lec.MAX_LOSS, lec.DIVERGED_AT, lec.W_ERROR, src.TRAJECTORY_MAX_DIFF, src.DL_DW,
    src.FINAL_LOSS, mar.MARGIN, opt_.STEPS_TO_TOL, opt_.EPOCH_S, opt_.TEST_ACCURACY, newt.BEST_LOSS,
    newt.COST_TO_TARGET, newt.RUN_S, newt.HVP_EVALS, newt.GRADIENT_EVALS))
GLOSSARY = {
    "η (learning rate)": "the step size of gradient descent: each step moves the parameters by −η × gradient.",
    "full batch / per sample (SGD) / minibatch": "a step from the gradient of the mean loss over all rows / of "
                                                "one row at a time / of a few rows at a time.",
    "epoch": "one pass over the training data (one full-batch step, or one step per row or minibatch).",
    "least squares": "the w minimising the mean squared error exactly: Σxy/Σx² for y = w x; its loss is the "
                     "floor no w goes below.",
    "2/mean(x²)": "the largest learning rate at which full-batch descent on y = w x converges: each step "
                  "multiplies w − w* by 1 − η mean(x²), which must stay within (−1, 1).",
    "trajectory drift": "the largest |Δθ| between a run and the same run with autodiff's gradients, over all "
                        "steps and parameters.",
    "jump": "a point where a function's value steps (the zero-one loss where a sample changes side): no "
            "derivative there; a difference across it returns O(1/h). At a jump or a kink each method returns "
            "its own one-sided answer.",
    "l2 / l1 / hinge / logistic / zero-one loss": "the perceptron's losses: squared error, absolute error, "
                                                   "max(0, 1 − y ŷ), log(1 + exp(−y ŷ)), and the share of "
                                                   "misclassified rows (a metric: its derivative is 0 or none).",
    "margin": "the distance from the separating line to the closest point, min y (w·x + b)/|w|.",
    "SVM (hinge + L2)": "a linear classifier trained on the hinge loss plus λ/2 |w|², which widens the margin "
                        "to its maximum; the perceptron stops at the first line that separates.",
    "ill-conditioned": "a problem whose curvature differs a lot between directions (the ratio is its condition "
                       "number): a step size safe for the steep direction crawls along the shallow one.",
    "momentum": "gradient descent that keeps a running sum of past steps (here 0.9 of the last), so it "
                "speeds along shallow valleys.",
    "Adam / Adagrad / Adadelta": "first-order optimizers that scale each parameter's step by running "
                                 "statistics of its past gradients.",
    "L-BFGS": "a quasi-Newton method: it builds curvature from the last few gradients (scipy's).",
    "Newton-CG / trust-ncg": "second-order methods: Newton steps solved by conjugate gradients from "
                             "Hessian-vector products (scipy's, with our HVP).",
    "HVP": "Hessian-vector product H·v, computed without forming H (forward mode over reverse mode).",
    "target (second order)": "a loss 99.99% of the way from the start to the best loss any optimizer found; "
                             "the work to reach it is counted in gradients + HVPs.",
    "mlp4": "the lecture's 4-layer sigmoid network with one weight per layer.",
    "digits": "scikit-learn's 8×8 handwritten digits (1797 images); 20% held out to measure test accuracy.",
}


def _train(records):
    return select(records, section=KEY)


def _figs_training(records):
    """One figure per training experiment present, from fig_train's FIGURES map (captions
    are the figure functions' first docstring sentences)."""
    rs = _train(records)
    present = {r.extra.get("experiment") for r in rs}
    out = []
    for name, fn in fig_train.FIGURES.items():
        if name not in present:
            continue
        doc = " ".join((fn.__doc__ or name.replace("_", " ")).split())
        caption = doc.split(". ")[0].rstrip(".") + "."
        out.append((name, (lambda fn=fn: fn(rs)), caption))
    return out


def _of(records, experiment, metric, **where):
    return [r for r in records if r.extra.get("experiment") == experiment and r.metric == metric
            and all(r.extra.get(k) == v for k, v in where.items())]


def _first(records, experiment, metric, **where):
    found = _of(records, experiment, metric, **where)
    return found[0] if found else None


# --- the lecture's perceptron ----------------------------------------------------------------

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
                  f"1 − η x², and every row contracts only for η < {crit_row.value:.4g}."
                  + (f" η = {'; '.join(small)}." if small else "")]


def _sweep(rs):
    crit = _first(rs, "lr_sweep", lec.CRITICAL_LR)
    sweep = sorted(_of(rs, "lr_sweep", lec.W_ERROR), key=lambda r: r.extra["lr"])
    if crit is None or not sweep:
        return []
    by = {}
    for r in sweep:
        by.setdefault(r.extra["status"], []).append(f"{r.extra['lr']:g}")
    status = "; ".join(f"{st} at η = {', '.join(lrs)}" for st, lrs in by.items())
    return [f"Learning rate: full-batch descent on the perceptron diverges above η = {crit.value:.4g}; "
            f"measured: {status}."]


# --- gradient sources and losses ---------------------------------------------------------------

def _drift(rs):
    """(worst exact drift, (worst finite-difference method, its drift), reference) or None."""
    drift = [r for r in rs if r.metric == src.TRAJECTORY_MAX_DIFF and num(r)]
    if not drift:
        return None
    by = {}
    for r in drift:
        by[r.method] = max(by.get(r.method, 0.0), r.value)
    exact = [v for m, v in by.items() if m in EXACT_SOURCES]
    fd = {m: v for m, v in by.items() if m not in EXACT_SOURCES}
    worst = max(fd, key=fd.get) if fd else None
    return (max(exact) if exact else None), ((worst, fd[worst]) if worst else None), drift[0].reference


def _sources(rs):
    d = _drift(rs)
    if d is None:
        return []
    exact, fd, ref = d
    line = f"Same model, same optimizer, different gradient source: distance from the {ref}"
    if exact is not None:
        line += f" -- exact methods at most {fmt_err(exact)}"
    if fd:
        line += f", finite differences up to {fmt_err(fd[1])} ({fd[0]})"
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


def _loss_grads(records):
    rs = [r for r in _train(records) if r.extra.get("experiment") == "losses" and r.metric in (src.DL_DW, UNAVAILABLE)]
    settings = list(dict.fromkeys(r.setting for r in rs if r.setting))
    methods = list(dict.fromkeys(r.method for r in rs))
    cell = {(r.setting, r.method): r for r in rs}
    return rs, settings, methods, cell


def _disagreements(records):
    """[(setting, reference record, [(method, value)])] where a method differs from the
    reference (autograd, else autodiff) by more than 1e-3 relative."""
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
            out.append((st, ref, off))
    return out


def _conclude_losses(records):
    return [f"{st}: " + ", ".join(f"{m} {v:.4g}" for m, v in off) + f" against {ref.method} {ref.value:.4g} "
            "(a kink or jump: one-sided and wide stencils see different slopes)."
            for st, ref, off in _disagreements(records)]


def _kinks(records):
    """One line: where the sources disagree on a loss's derivative, and who."""
    dis = _disagreements(records)
    if not dis:
        return []
    total = len(_loss_grads(records)[1])
    where = "; ".join(f"{st} ({', '.join(m for m, _ in off)})" for st, _, off in dis)
    return [f"Each loss's dL/dw by every source at {total} point{'s' * (total != 1)}: all agree where the loss is "
            f"smooth; at a kink or jump finite differences return their own slope -- {where} (every value in "
            "the section's tables)."]


# --- classifiers and optimizers ----------------------------------------------------------------

def _margin(rs):
    m = {(r.model, r.method): r.value for r in _of(rs, "svm_vs_perceptron", mar.MARGIN) if num(r)}
    if {("perceptron", "autodiff"), ("svm", "autodiff"), ("svm", "sklearn")} - set(m):
        return []
    return [f"SVM vs perceptron on a separable 2-D set: the perceptron stops at the first separating "
            f"line, margin {m[('perceptron', 'autodiff')]:.3f}; hinge + L2 widens it to "
            f"{m[('svm', 'autodiff')]:.4f} (the exact maximum: {m[('svm', 'sklearn')]:.4f})."]


def _momentum(rs):
    steps = {r.extra.get("optimizer"): r for r in _of(rs, "momentum_vs_gd", opt_.STEPS_TO_TOL)}
    if not {"gd", "momentum"} <= set(steps):
        return []
    gd = steps["gd"].value if steps["gd"].value is not None else "more than the run's"
    return [f"Momentum on an ill-conditioned quadratic: {steps['momentum'].value} steps to "
            f"{steps['momentum'].reference} against {gd} for plain gradient descent at the same learning rate."]


def _sgd(rs):
    fl = [r for r in _of(rs, "sgd_vs_full", src.FINAL_LOSS) if num(r)]
    if not fl:
        return []
    per = {r.extra.get("optimizer"): r for r in _of(rs, "sgd_vs_full", opt_.EPOCH_S)}
    parts = []
    for r in fl:
        o = r.extra.get("optimizer")
        t = f", {fmt_timing(per[o])} per epoch" if o in per else ""
        parts.append(f"{o} (batch {r.extra.get('batch') or 'full'}, lr {r.extra.get('lr'):g}) {r.value:.3g}{t}")
    return [f"SGD vs full batch on {fl[0].model}, the same number of epochs: final loss " + "; ".join(parts) + "."]


def _optimizers(rs):
    fl = sorted((r for r in _of(rs, "optimizers", src.FINAL_LOSS) if num(r)), key=lambda r: r.value)
    if len(fl) < 2:
        return []
    return [f"Every optimizer on {fl[0].model} from the same start (hand-picked learning rates): lowest final "
            f"loss {fl[0].extra['optimizer']} {fl[0].value:.3g}, then "
            + ", ".join(f"{r.extra['optimizer']} {r.value:.3g}" for r in fl[1:]) + "."]


def _second_one(rs, model):
    ex = "second_order"
    mine = [r for r in rs if r.model == model]
    best = _first(mine, ex, newt.BEST_LOSS)
    cost = {r.extra["optimizer"]: r for r in _of(mine, ex, newt.COST_TO_TARGET)}
    t = {r.extra["optimizer"]: r for r in _of(mine, ex, newt.RUN_S)}
    if best is None or not cost:
        return None
    reached = sorted((r for r in cost.values() if r.value is not None), key=lambda r: r.value)
    missed = [o for o, r in cost.items() if r.value is None]
    line = f"Second order on {model}, work to reach the target {next(iter(cost.values())).reference}: "
    line += "; ".join(f"{r.extra['optimizer']} after {r.value} gradients + HVPs"
                      + (f" ({fmt_timing(t[r.extra['optimizer']])} CPU per run)" if r.extra["optimizer"] in t else "")
                      for r in reached) or "no optimizer reached it"
    if missed:
        line += f"; not reached by {', '.join(missed)}"
    return line + f" (best loss {best.value:.6g})."


def _second(rs):
    models = dict.fromkeys(r.model for r in _of(rs, "second_order", src.FINAL_LOSS))
    return [line for line in (_second_one(rs, m) for m in models) if line]


def _digits(rs):
    acc = [r for r in _of(rs, "digits", opt_.TEST_ACCURACY) if num(r)]
    if not acc:
        return []
    r, t = acc[0], _first(rs, "digits", opt_.EPOCH_S)
    return [f"Digits: {r.value:.1%} test accuracy ({r.setting}; {r.reference})"
            + (f", {fmt_timing(t)} per epoch." if t is not None else ".")]


def _takeaway_training(records):
    rs = _train(records)
    d, crit = _drift(rs), _first(rs, "literal_update", lec.CRITICAL_LR)
    full = _first(rs, "literal_update", lec.STEP_FACTOR, eta=1.0)
    parts = []
    if d is not None and d[0] is not None:
        parts.append(f"every exact gradient source trains along the same path (to {fmt_err(d[0])})"
                     + (f" while finite differences drift by up to {fmt_err(d[1][1])}" if d[1] else ""))
    if crit is not None and full is not None:
        parts.append(f"the step size decides more: the lecture's update at η = 1 multiplies the error by "
                     f"{full.value:.4g} per step, and descent converges only below η = {crit.value:.4g}")
    if not parts:
        return "The same gradients train the lecture's perceptrons and MLPs."
    return ("Training: " if len(parts) == 1 else "In training, ") + "; ".join(parts) + "."


def _conclude_training(records):
    """The findings on the page (at most MAX_BULLETS), the lecture's first."""
    rs = _train(records)
    return (_literal(rs) + _sweep(rs) + _sources(rs) + _kinks(records) + _margin(rs) + _momentum(rs)
            + _second(rs)[:1])


def _details_training(records):
    rs = _train(records)
    return (_smallest(rs) + _second(rs)[1:] + _sgd(rs) + _optimizers(rs) + _digits(rs) + _refusals(rs)
            + _conclude_losses(records))


def _tables_training(records):
    out = []
    rs, settings, methods, cell = _loss_grads(records)
    ref = next((r.reference for r in rs if r.reference), "")
    exact = [m for m in methods if m in EXACT_SOURCES]
    # two tables of a few columns each (one of eleven does not fit a page): the exact sources,
    # then the numerical ones beside the reference
    for what, cols in (("exact sources", exact),
                       ("numerical methods", [m for m in methods if m not in exact] + [m for m in exact if m == ref])):
        if not settings or not cols:
            continue
        rows = []
        for st in settings:
            first = next(r for r in rs if r.setting == st)
            row = [f"{first.extra['loss']}, w={first.extra['w']:g}" if "loss" in first.extra else st]
            for m in cols:
                r = cell.get((st, m))
                row.append("" if r is None else f"{r.value:.4g}" if num(r) else "refused")
            rows.append(row)
        out.append((f"dL/dw of each perceptron loss at smooth points, kinks and jumps: {what}, 4 digits "
                    f"(reference {ref})", ("loss, point", *cols), rows))
    tr = _train(records)
    so = _of(tr, "second_order", src.FINAL_LOSS)
    if so:
        get = {(r.model, r.extra.get("optimizer"), r.metric): r for r in tr if r.extra.get("experiment") == "second_order"}
        rows = []
        for r in so:
            o = r.extra["optimizer"]
            c, g, h, t = (get.get((r.model, o, m)) for m in (newt.COST_TO_TARGET, newt.GRADIENT_EVALS,
                                                              newt.HVP_EVALS, newt.RUN_S))
            rows.append((r.model, r.setting, f"{r.value:.6g}", "not reached" if c is None or c.value is None else c.value,
                         g.value if g else "", h.value if h else "", fmt_timing(t) if t else ""))
        out.append(("Second order beside first order, per model and optimizer (CPU time per run: median "
                    "[min–max] over repeats)", ("model", "optimizer", "final loss", "gradients + HVPs to target",
                                                 "gradients", "HVPs", "CPU time per run"), rows))
    return out


SECTION = Section(
    KEY, "Training",
    "The same gradients train the lecture's perceptrons and MLPs: its own update at η = 1 beside a step "
    "size that converges, every gradient source on the same run, learning rates, momentum, SGD against "
    "full batch, the SVM's margin against the perceptron's, Newton-CG beside L-BFGS, and an MLP that reads "
    "handwritten digits.",
    experiment.run, _figs_training, _conclude_training, _tables_training,
    takeaway=_takeaway_training, details=_details_training, reads=READS, glossary=GLOSSARY)
