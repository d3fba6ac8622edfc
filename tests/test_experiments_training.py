"""experiments/training*.py, report/fig_train.py and report/sections/training.py: the
training experiments' numbers, their figures, and the sentences written from them."""
import re

import numpy as np
import pytest
from matplotlib.figure import Figure

from diffcompare.experiments import training
from diffcompare.experiments import training_lecture as lec
from diffcompare.experiments import training_margin as mar
from diffcompare.experiments import training_newton as newt
from diffcompare.experiments import training_optim as opt_
from diffcompare.experiments import training_sources as src
from diffcompare.experiments.training_common import UNAVAILABLE, record
from diffcompare.report import fig_train
from diffcompare.report.section import MAX_BULLETS, fmt_err, fmt_timing
from diffcompare.report.sections import training as section
from diffcompare.train import optimizers

W_LS = 1.004690831556503      # Σxy/Σx² on the lecture's table


@pytest.fixture(scope="module")
def recs():
    """Every training experiment, quick, once (about 5 s)."""
    return training.run(quick=True)


def _of(recs, experiment, metric, **where):
    return [r for r in recs if r.extra["experiment"] == experiment and r.metric == metric
            and all(r.extra.get(k) == v for k, v in where.items())]


def _one(recs, experiment, metric, **where):
    (r,) = _of(recs, experiment, metric, **where)
    return r


def test_every_record_is_tagged_and_every_experiment_ran(recs):
    assert {r.extra["experiment"] for r in recs} == set(training.EXPERIMENTS)
    assert all(r.section == "train" for r in recs)
    assert not [r for r in recs if r.metric == UNAVAILABLE]        # every backend imports here


# --- the lecture -----------------------------------------------------------------------------

def test_smallest_perceptron_and_the_lecture_one_line_update(recs):
    assert _one(recs, "smallest_perceptron", lec.W_FINAL).value == pytest.approx(W_LS, abs=1e-12)
    assert _one(recs, "smallest_perceptron", lec.LECTURE_UPDATE_MAX_DIFF).value <= 1e-15
    x, y = np.array([10, 2, 3.5, 1.0]), np.array([10.1, 1.9, 3.4, 1.1])
    assert _one(recs, "smallest_perceptron", lec.LOSS_FLOOR).value == pytest.approx(
        np.mean(0.5 * (y - W_LS * x) ** 2), rel=1e-14)


def test_literal_update_at_eta_1_cycles_per_sample_and_diverges_full_batch(recs):
    ex = "literal_update"
    per = _one(recs, ex, lec.PASS_END_W, eta=1.0)
    # the last row x = 1 has 1 − η x² = 0: each pass ends at its own fit y/x = 1.1
    assert per.value == pytest.approx(1.1, abs=1e-12)
    assert per.extra["w"][1:5] == pytest.approx([51.5, -150.7, 1707.275, 1.1], rel=1e-12)
    assert per.extra["w"][-4:] == pytest.approx([-7.9, 27.5, -297.475, 1.1], rel=1e-11)
    assert _one(recs, ex, lec.MAX_LOSS, eta=1.0, sampling="per-sample").value > 1e7
    assert _one(recs, ex, lec.LECTURE_UPDATE_MAX_DIFF, eta=1.0).value <= 1e-15
    full = _one(recs, ex, lec.STEP_FACTOR, eta=1.0)
    assert full.value == pytest.approx(1 - 29.3125, rel=1e-12)
    assert 100 <= _one(recs, ex, lec.DIVERGED_AT, eta=1.0).value <= 112     # 801^k passes 1e308
    assert not _of(recs, ex, lec.DIVERGED_AT, eta=0.01)
    assert _one(recs, ex, lec.STEP_FACTOR, eta=0.01).value == pytest.approx(1 - 0.293125, rel=1e-12)
    assert _one(recs, ex, lec.PASS_END_W, eta=0.01).value == pytest.approx(1.00413731, abs=1e-8)
    assert _one(recs, ex, lec.CRITICAL_LR).value == pytest.approx(2 / 29.3125)
    assert _one(recs, ex, lec.CRITICAL_LR_SAMPLE).value == pytest.approx(0.02)


def test_lr_sweep_too_big_diverges_too_small_crawls(recs):
    status = {r.extra["lr"]: r.extra["status"] for r in _of(recs, "lr_sweep", lec.W_ERROR)}
    assert status == {0.001: lec.SLOW, 0.005: lec.SLOW, 0.02: lec.CONVERGED, 0.06: lec.CONVERGED,
                      0.07: lec.DIVERGED, 0.1: lec.DIVERGED}
    assert _one(recs, "lr_sweep", lec.CRITICAL_LR).value == pytest.approx(2 / 29.3125)


# --- gradient sources and losses ----------------------------------------------------------

def test_finite_differences_drift_and_exact_sources_do_not(recs):
    drift = {(r.model, r.method): r.value for r in _of(recs, "gradient_sources", src.TRAJECTORY_MAX_DIFF)}
    for m in ("autodiff-forward", "symbolic", "autograd"):
        assert drift[("mlp4", m)] <= 1e-10
    assert 1e-10 < drift[("mlp4", "forward")] < 1e-5           # O(h) truncation, accumulated
    assert drift[("mlp4", "central")] < drift[("mlp4", "forward")]
    assert all(r.reference for r in _of(recs, "gradient_sources", src.TRAJECTORY_MAX_DIFF))


def test_zero_one_loss_gradients_and_training(recs):
    g = {(r.extra["loss"], r.extra["w"], r.method): r.value for r in _of(recs, "losses", src.DL_DW)}
    for m in ("autodiff", "autodiff-forward", "autograd"):
        assert g[("zero_one", 0.0, m)] == 0.0 and g[("zero_one", 0.3, m)] == 0.0
        assert g[("l2", 0.3, m)] == pytest.approx(g[("l2", 0.3, "autograd")], rel=1e-14)
    assert abs(g[("zero_one", 0.0, "central")]) > 1e3       # a difference across the jump
    assert g[("logistic", 0.3, "central")] == pytest.approx(g[("logistic", 0.3, "autograd")], rel=1e-7)
    assert _one(recs, "losses", src.W_MOVED).value == 0.0


def test_a_failing_method_is_a_structured_refusal(monkeypatch):
    from diffcompare import api
    backend = api.backend

    def without_symbolic(method, options):
        if method == "symbolic":
            raise ImportError("no module named sympy")
        return backend(method, options)
    monkeypatch.setattr(api, "backend", without_symbolic)
    out = src.gradient_sources(quick=True, models_=("perceptron",), steps=3)
    (r,) = [r for r in out if r.metric == UNAVAILABLE]
    assert r.method == "symbolic" and r.extra["reason"] == "backend" and r.extra["error"] == "ImportError"
    assert r.value == "ImportError: no module named sympy"
    assert len([r for r in out if r.metric == src.TRAJECTORY_MAX_DIFF]) == len(api.METHODS) - 1


# --- optimizers ----------------------------------------------------------------------------

def test_momentum_beats_plain_descent_on_an_ill_conditioned_quadratic(recs):
    steps = {r.extra["optimizer"]: r.value for r in _of(recs, "momentum_vs_gd", opt_.STEPS_TO_TOL)}
    assert steps["gd"] is not None and steps["momentum"] < 0.5 * steps["gd"]


def test_sgd_vs_full_batch(recs):
    loss = {r.extra["optimizer"]: r.value for r in _of(recs, "sgd_vs_full", src.FINAL_LOSS)}
    steps = {r.extra["optimizer"]: r.value for r in _of(recs, "sgd_vs_full", opt_.STEPS)}
    assert steps == {"gd": 30, "sgd": 180, "minibatch": 90}
    assert loss["sgd"] < loss["gd"]          # 6x the updates for the same passes over the data
    for r in _of(recs, "sgd_vs_full", opt_.EPOCH_S):
        assert r.unit == "s" and r.repeats == 30 and r.lo <= r.value <= r.hi


def test_every_optimizer_on_the_lecture_mlp(recs):
    final = {r.extra["optimizer"]: r.value for r in _of(recs, "optimizers", src.FINAL_LOSS)}
    start = _of(recs, "optimizers", src.FINAL_LOSS)[0].extra["history"][0]
    assert set(final) == set(optimizers.OPTIMIZERS)
    # Adadelta's steps start at sqrt(eps) = 1e-3 scale and grow: it is the slow one here
    assert all(v < 0.01 * start for k, v in final.items() if k != "adadelta")
    assert final["adadelta"] < 0.1 * start
    assert min(final, key=final.get) in ("newton-cg", "trust-ncg")


def test_digits_records_accuracy_and_epoch_time_with_spread(recs):
    assert _one(recs, "digits", opt_.TEST_ACCURACY).value >= 0.95
    t = _one(recs, "digits", opt_.EPOCH_S)
    assert t.repeats == 20 and 0 < t.lo <= t.value <= t.hi


# --- SVM vs perceptron ---------------------------------------------------------------------

def test_the_svm_finds_the_maximum_margin_and_the_perceptron_does_not(recs):
    m = {(r.model, r.method): r for r in _of(recs, "svm_vs_perceptron", mar.MARGIN)}
    best = m[("svm", "sklearn")].value
    assert m[("svm", "autodiff")].value == pytest.approx(best, rel=1e-3)
    assert m[("perceptron", "autodiff")].value < 0.8 * best
    assert all(r.value == 0 for r in _of(recs, "svm_vs_perceptron", mar.MISCLASSIFIED))
    X, y = np.array(m[("svm", "sklearn")].extra["X"]), np.array(m[("svm", "sklearn")].extra["y"])
    for r in m.values():            # the recorded margin is the recorded line's
        assert r.value == pytest.approx(mar.geometric_margin(np.array(r.extra["w"]), r.extra["b"], X, y))
    assert len(m[("svm", "sklearn")].extra["support"]) >= 2


# --- second order --------------------------------------------------------------------------

def test_newton_cg_beside_lbfgs_and_first_order(recs):
    ex = "second_order"
    final = {r.extra["optimizer"]: r.value for r in _of(recs, ex, src.FINAL_LOSS)}
    cost = {r.extra["optimizer"]: r.value for r in _of(recs, ex, newt.COST_TO_TARGET)}
    hvps = {r.extra["optimizer"]: r.value for r in _of(recs, ex, newt.HVP_EVALS)}
    assert _one(recs, ex, newt.BEST_LOSS).value == min(final.values()) < 0.01043
    assert final["trust-ncg"] < 0.0104277 and final["lbfgs"] < 0.0104277      # the mlp4 floor
    assert cost["gd"] is None and cost["momentum"] is None            # 300 steps are not enough
    assert cost["trust-ncg"] is not None and cost["lbfgs"] is not None
    assert hvps["trust-ncg"] > 0 and hvps["newton-cg"] > 0 and hvps["lbfgs"] == hvps["gd"] == 0
    for r in _of(recs, ex, newt.RUN_S):
        assert r.repeats == 2 and r.lo <= r.value <= r.hi and r.unit == "s"


# --- figures -------------------------------------------------------------------------------

def test_every_experiment_has_a_figure_that_draws_from_all_the_records(recs):
    for name, fn in fig_train.FIGURES.items():
        assert name in training.EXPERIMENTS
        fig = fn(recs)
        assert isinstance(fig, Figure) and fig.axes and all(ax.lines or ax.collections for ax in fig.axes)


def _legend_outside(fig, ax):
    fig.canvas.draw()
    box = ax.get_legend().get_window_extent()
    return box.x0 >= ax.get_window_extent().x1 or box.y1 <= ax.get_window_extent().y0


def test_lr_sweep_is_clipped_marked_and_its_floor_drawn(recs):
    fig = fig_train.lr_sweep(recs)
    ax = fig.axes[0]
    start = max(r.extra["history"][0] for r in _of(recs, "lr_sweep", lec.W_ERROR) if "history" in r.extra)
    assert ax.get_ylim()[1] <= 15 * start                       # not 1e59
    marks = [ln for ln in ax.lines if ln.get_marker() == "^"]
    assert len(marks) == 2                                      # η = 0.07 and 0.1 leave the plot
    floor = _one(recs, "lr_sweep", lec.LOSS_FLOOR).value
    assert any(np.allclose(ln.get_ydata(), floor) for ln in ax.lines)
    assert _legend_outside(fig, ax)


def test_smallest_perceptron_draws_the_floor_it_promises(recs):
    ax = fig_train.smallest_perceptron(recs).axes[0]
    floor = _one(recs, "smallest_perceptron", lec.LOSS_FLOOR).value
    assert [ln for ln in ax.lines if np.allclose(ln.get_ydata(), floor)]
    assert "least-squares floor" in " ".join(t.get_text() for t in ax.get_legend().get_texts())


def test_literal_update_figure_cuts_the_divergence_and_marks_the_threshold(recs):
    fig = fig_train.literal_update(recs)
    ax, ax2 = fig.axes
    assert ax.get_ylim()[1] <= 1e10 and [ln for ln in ax.lines if ln.get_marker() == "^"]
    assert any(np.allclose(ln.get_ydata(), 1.0) for ln in ax2.lines)          # the |factor| = 1 line


def test_svm_figure_draws_each_line_and_its_margin_band(recs):
    ax = fig_train.svm_vs_perceptron(recs).axes[0]
    # perceptron and SVM: boundary + two band edges each; the exact maximum: its boundary
    assert len(ax.lines) == 7 and len(ax.collections) == 3


# --- the section's sentences ---------------------------------------------------------------

def test_each_experiment_gets_its_sentences(recs):
    parts = {"smallest": section._smallest, "literal": section._literal, "sweep": section._sweep,
             "sources": section._sources, "margin": section._margin, "momentum": section._momentum,
             "sgd": section._sgd, "optimizers": section._optimizers, "second": section._second,
             "digits": section._digits}
    for name, fn in parts.items():
        assert fn(recs), name
    shown, more = section._conclude_training(recs), section._details_training(recs)
    assert len(shown) <= MAX_BULLETS
    text = " ".join(shown)
    assert "each pass ends at w = 1.1" in text and "-28.31" in text and "η < 0.06823" in text
    assert "the perceptron stops at the first separating line, margin 0.555" in text
    assert "diverged at η = 0.07, 0.1" in text and "converged at η = 0.02, 0.06" in text
    # mlp4 in the quick run: L-BFGS then trust-ncg reach the target; the others do not
    assert "lbfgs after 19 gradients + HVPs (" in text and "; trust-ncg after 54 gradients + HVPs (" in text
    assert "not reached by gd, momentum, adam, newton-cg (best loss 0.0104276)" in text
    assert "loss l1, w=0.5 (forward)" in text and "loss zero_one, w=0 (central, forward)" in text
    details = " ".join(more)
    assert "least squares gives 1.00469" in details and "test accuracy" in details
    assert "loss zero_one, w=0: central" in details              # the per-point lines, in Details


def test_every_timing_is_a_median_with_its_spread(recs):
    t = _one(recs, "digits", opt_.EPOCH_S)
    assert f"{fmt_timing(t)} per epoch" in section._digits(recs)[0]
    assert re.search(r"\d ms \[[\d.]+–[\d.]+\] CPU per run", " ".join(section._second(recs)))
    (_, header, rows), = [tb for tb in section._tables_training(recs) if "Second order" in tb[0]]
    assert header[-1] == "CPU time per run" and all(re.fullmatch(r"[\d.]+ m?s \[[\d.]+–[\d.]+\]", r[-1])
                                                     for r in rows)
    assert [r[3] for r in rows if r[1].startswith("gd")] == ["not reached"]


def test_takeaway_is_written_from_the_records(recs):
    line = section._takeaway_training(recs)
    drift = max(r.value for r in _of(recs, "gradient_sources", src.TRAJECTORY_MAX_DIFF)
                if r.method in section.EXACT_SOURCES)
    assert f"to {fmt_err(drift)}" in line and "-28.31 per step" in line and "below η = 0.06823" in line
    assert line.endswith(".") and not re.search(r"\.\s", line)            # one sentence
    assert section.SECTION.intro.endswith("handwritten digits.")


def test_refusals_are_grouped_by_their_fields_not_their_words():
    rs = [record("mlp4", "symbolic", UNAVAILABLE, "oops: one thing", setting=f"case {i}", reason="failed",
                 error="ValueError", experiment="gradient_sources") for i in range(4)]
    rs.append(record("mlp4", "symbolic", UNAVAILABLE, "other words", setting="case 9", reason="backend",
                     error="", experiment="gradient_sources"))
    lines = section._refusals(rs)
    assert len(lines) == 2
    assert lines[0].startswith("symbolic could not run 4 cases (it raised) [mlp4 (case 0), mlp4 (case 1), "
                               "mlp4 (case 2), ... 1 more]")
    assert lines[1].startswith("symbolic could not run 1 case (its backend does not import)")


def test_every_term_on_the_page_is_in_the_glossary(recs):
    from diffcompare.report.glossary import glossary
    from diffcompare.report.sections import SECTIONS
    page = " ".join([section._takeaway_training(recs), section.SECTION.intro, *section._conclude_training(recs),
                     *(c for _, _, c in section._figs_training(recs))])
    defined = " | ".join(term for term, _ in glossary(SECTIONS)).lower()      # the page's glossary
    for term in ("η", "full batch", "SGD", "minibatch", "least squares", "kink", "jump", "margin", "hinge", "momentum",
                 "ill-conditioned", "HVP", "target", "epoch", "trajectory", "L-BFGS", "Newton-CG", "trust-ncg",
                 "finite differences", "autodiff"):
        assert term.lower() in page.lower(), term            # the term is on the page...
        assert term.lower() in defined, term                 # ...and defined


def test_loss_table_and_disagreements_from_fixed_records():
    ex = {"experiment": "losses", "loss": "l1", "w": 0.5}
    rs = [record("perceptron", m, src.DL_DW, v, setting="loss l1, w=0.5", reference="autograd", **ex)
          for m, v in (("autograd", 0.5416667), ("forward", 0.875), ("central", 0.54166671))]
    rs.append(record("perceptron", "complex-step", UNAVAILABLE, "NotComplexSafe: abs", setting="loss l1, w=0.5",
                     reason="failed", error="NotComplexSafe", **ex))
    (c1, h1, rows1), (c2, h2, rows2) = section._tables_training(rs)
    assert "exact sources" in c1 and h1 == ("loss, point", "autograd") and rows1 == [["l1, w=0.5", "0.5417"]]
    assert "numerical methods" in c2 and h2 == ("loss, point", "forward", "central", "complex-step", "autograd")
    assert rows2 == [["l1, w=0.5", "0.875", "0.5417", "refused", "0.5417"]]
    (line,) = section._conclude_losses(rs)
    assert line.startswith("loss l1, w=0.5: forward 0.875 against autograd 0.5417")        # central agrees
    assert section._kinks(rs) == ["Each loss's dL/dw by every source at 1 point: all agree where the loss is "
                                  "smooth; at a kink or jump finite differences return their own slope -- loss l1, "
                                  "w=0.5 (forward) (every value in the section's tables)."]
