import importlib
import json
import subprocess
import sys

import numpy as np
import pytest

from diffcompare import api, models
from diffcompare.cli import main
from diffcompare.errors import BadOptionError, UnknownNameError
from diffcompare.experiments import training as experiments
from diffcompare.train import loop, optimizers, problem, train
from diffcompare.train.data import Problem, load_digits
from diffcompare.train.loop import TrainingDivergedError

W_LS = 1.004690831556503      # Σxy/Σx² on the lecture's table


def _has(module):
    try:
        importlib.import_module(f"diffcompare.{module}")
        return True
    except ImportError:
        return False


# --- optimizers: one step against hand-computed values -----------------------------------

P = {"w": 1.0, "v": np.array([1.0, -3.0])}
G = {"w": 2.0, "v": np.array([2.0, -2.0])}


def _one(opt, lr, t=1, state=None):
    state = opt.init(P) if state is None else state
    return opt.step(P, G, state, lr, t)


@pytest.mark.parametrize("opt", [optimizers.gd, optimizers.sgd, optimizers.minibatch])
def test_plain_descent_step(opt):
    p, _ = _one(opt, 0.1)
    assert p["w"] == pytest.approx(0.8, abs=1e-15)
    np.testing.assert_allclose(p["v"], [0.8, -2.8], atol=1e-15)


def test_schedule_step_uses_eta0_over_sqrt_t():
    p, _ = _one(optimizers.schedule, 0.1, t=4)     # eta_4 = 0.1 / 2 = 0.05
    assert p["w"] == pytest.approx(0.9, abs=1e-15)
    np.testing.assert_allclose(p["v"], [0.9, -2.9], atol=1e-15)


def test_momentum_two_steps():
    p, s = _one(optimizers.momentum, 0.1)           # vel = -0.2
    assert p["w"] == pytest.approx(0.8, abs=1e-15)
    p2, s2 = optimizers.momentum.step(p, G, s, 0.1, 2)    # vel = 0.9(-0.2) - 0.2 = -0.38
    assert s2["w"] == pytest.approx(-0.38, abs=1e-15)
    assert p2["w"] == pytest.approx(0.42, abs=1e-15)
    np.testing.assert_allclose(s2["v"], [-0.38, 0.38], atol=1e-15)


def test_adagrad_step():
    p, s = _one(optimizers.adagrad, 0.1)            # G = 4: w - 0.1 * 2 / 2
    assert s["w"] == 4.0
    assert p["w"] == pytest.approx(0.9, abs=1e-9)
    np.testing.assert_allclose(p["v"], [0.9, -2.9], atol=1e-9)


def test_adadelta_step():
    # E[g²] = 0.05 * 4 = 0.2; dx = -sqrt(0 + 1e-6) / sqrt(0.2 + 1e-6) * 2 = -0.00447212477...
    p, s = _one(optimizers.adadelta, 1.0)
    assert s["g2"]["w"] == pytest.approx(0.2, abs=1e-15)
    assert p["w"] == pytest.approx(0.9955278752252984, abs=1e-15)
    assert s["d2"]["w"] == pytest.approx(9.99995000025e-07, rel=1e-12)


def test_adam_first_step_is_lr_times_sign():
    # m = 0.2, v = 0.004; bias-corrected m^ = 2, v^ = 4: step = lr * 2 / (2 + 1e-8)
    p, s = _one(optimizers.adam, 0.1)
    assert s["m"]["w"] == pytest.approx(0.2, abs=1e-15) and s["v"]["w"] == pytest.approx(0.004, abs=1e-15)
    assert p["w"] == pytest.approx(0.9, abs=1e-9)
    np.testing.assert_allclose(p["v"], [0.9, -2.9], atol=1e-9)


def test_lbfgs_one_iteration_solves_the_quadratic():
    # The perceptron's loss is a quadratic in w: scipy's line search lands on Σxy/Σx².
    r = train("perceptron", "lecture", optimizer="lbfgs", epochs=1)
    assert r.epochs == 1
    assert r.params["w"] == pytest.approx(W_LS, abs=1e-12)
    assert r.info["lbfgs_nit"] == 1


def test_optimizers_do_not_mutate_inputs():
    before = {k: np.copy(v) for k, v in P.items()}
    for opt in optimizers.OPTIMIZERS.values():
        if opt.name != "lbfgs":
            _one(opt, 0.1)
    np.testing.assert_array_equal(P["v"], before["v"])


# --- the lecture's examples --------------------------------------------------------------

def test_smallest_perceptron_gd_default_reaches_least_squares():
    r = train("perceptron", "lecture", method="autodiff", optimizer="gd")
    assert abs(r.params["w"] - 1.004691) < 1e-4
    assert abs(r.params["w"] - W_LS) < 1e-12
    assert r.history[0] > r.history[-1] and len(r.history) == r.epochs + 1 == 101


def test_lecture_one_line_update_equals_sgd_with_our_gradient():
    recs = experiments.smallest_perceptron(quick=True)
    d = next(r for r in recs if r.metric == "lecture_update_max_diff")
    assert d.value <= 1e-15 and d.reference


@pytest.mark.parametrize("opt", ["sgd", "minibatch", "schedule", "momentum", "adagrad", "adam"])
def test_every_optimizer_lowers_the_perceptron_loss(opt):
    r = train("perceptron", "lecture", optimizer=opt, epochs=60, lr=0.02 if opt != "adagrad" else 0.1)
    assert r.loss < 0.02 * r.history[0]


def test_adadelta_and_perceptron2_and_mlp4_train():
    assert train("perceptron", "lecture", optimizer="adadelta", epochs=400).loss < 0.01
    r2 = train("perceptron2", "lecture", optimizer="gd", lr=0.05, epochs=300)
    assert r2.params["w1"] == pytest.approx(1.5, abs=0.05) and r2.params["w2"] == pytest.approx(-0.7, abs=0.05)
    # The sigmoid chain cannot fit its table exactly: L-BFGS finds the floor (~0.01043),
    # plain descent gets close to it.
    best = train("mlp4", "lecture", optimizer="lbfgs", epochs=100)
    r4 = train("mlp4", "lecture", optimizer="gd", lr=2.0, epochs=100)
    assert best.loss < 0.0105 < r4.loss < 0.0115 < 0.6 * r4.history[0]


def test_steps_per_epoch_follow_the_sampling():
    assert train("perceptron2", optimizer="sgd", epochs=3).steps == 18           # 6 rows, 1 each
    assert train("perceptron2", optimizer="minibatch", epochs=3, batch_size=4).steps == 6
    assert train("perceptron2", optimizer="gd", epochs=3).steps == 3
    assert train("perceptron2", optimizer="adam", epochs=3, batch_size=2).steps == 9


def test_lr_sweep_too_big_diverges_too_small_crawls():
    recs = experiments.lr_sweep(quick=True)
    status = {r.extra["lr"]: r.extra["status"] for r in recs if r.metric == "w_error"}
    assert status[0.001] == "slow" and status[0.02] == "converged"
    assert status[0.07] == "diverged" and status[0.1] == "diverged"
    crit = next(r.value for r in recs if r.metric == "critical_lr")
    assert crit == pytest.approx(2 / 29.3125)


def test_momentum_beats_plain_descent_on_an_ill_conditioned_quadratic():
    recs = experiments.momentum_vs_gd(quick=True)
    steps = {r.extra["optimizer"]: r.value for r in recs if r.metric == "steps_to_tol"}
    assert steps["momentum"] is not None and steps["gd"] is not None
    assert steps["momentum"] < 0.5 * steps["gd"]


def test_sgd_vs_full_batch_records():
    recs = experiments.sgd_vs_full(quick=True)
    loss = {r.extra["optimizer"]: r.value for r in recs if r.metric == "final_loss"}
    steps = {r.extra["optimizer"]: r.value for r in recs if r.metric == "steps"}
    assert steps == {"gd": 30, "sgd": 180, "minibatch": 90}
    assert loss["sgd"] < loss["gd"]          # 6x the updates for the same passes over the data


def test_every_optimizer_on_the_lecture_mlp():
    recs = experiments.EXPERIMENTS["optimizers"](True)
    final = {r.extra["optimizer"]: r.value for r in recs if r.metric == "final_loss"}
    start = next(r.extra["history"][0] for r in recs if r.metric == "final_loss")
    assert set(final) == set(optimizers.OPTIMIZERS)
    # Adadelta's steps start at sqrt(eps) = 1e-3 scale and grow: it is the slow one here
    assert all(v < 0.01 * start for k, v in final.items() if k != "adadelta")
    assert final["adadelta"] < 0.1 * start
    assert min(final, key=final.get) == "lbfgs"


def test_progress_reports_each_epoch_and_fractions_of_long_ones(monkeypatch):
    seen = []
    train("perceptron2", optimizer="sgd", epochs=2, progress=lambda e, n, l: seen.append((e, n)))
    assert seen == [(1, 2), (2, 2)]
    clock = iter(np.arange(0.0, 100.0, 1.0))         # every step "takes" one second
    monkeypatch.setattr(loop.time, "perf_counter", lambda: float(next(clock)))
    seen.clear()
    train("perceptron2", optimizer="sgd", epochs=1, progress=lambda e, n, l: seen.append(e))
    assert seen[0] == pytest.approx(1 / 6) and seen[-1] == 1


# --- gradient sources --------------------------------------------------------------------

EXACT = [m for m in api.EXACT_METHODS if m != "symbolic"] + [
    pytest.param("symbolic", marks=pytest.mark.skipif(
        not _has("symbolic"), reason="diffcompare.symbolic is not written yet (another helper's module)"))]


@pytest.mark.parametrize("method", EXACT)
@pytest.mark.parametrize("name,lr", [("perceptron2", 0.05), ("mlp4", 2.0)])
def test_exact_sources_give_the_same_trajectory(method, name, lr):
    prob = problem(name, "lecture")
    ref = train(prob, method="autodiff", optimizer="gd", epochs=25, lr=lr, record_trajectory=True)
    r = train(prob, method=method, optimizer="gd", epochs=25, lr=lr, record_trajectory=True)
    assert np.max(np.abs(np.array(r.trajectory) - np.array(ref.trajectory))) <= 1e-10


@pytest.mark.skipif(not _has("numerical"), reason="diffcompare.numerical is not written yet")
def test_finite_differences_drift_and_the_drift_is_reported():
    recs = experiments.gradient_sources(quick=True, models_=("mlp4",), steps=20)
    drift = {r.method: r.value for r in recs if r.metric == "trajectory_max_diff"}
    assert drift["autodiff-forward"] <= 1e-10
    assert 1e-10 < drift["forward"] < 1e-5          # O(h) truncation error, accumulated
    assert drift["central"] < drift["forward"]       # O(h²)
    assert all(r.reference for r in recs if r.metric == "trajectory_max_diff")


@pytest.mark.skipif(not _has("numerical"), reason="diffcompare.numerical is not written yet")
def test_central_trains_the_perceptron_too():
    r = train("perceptron", "lecture", method="central", optimizer="gd")
    assert abs(r.params["w"] - W_LS) < 1e-8


@pytest.mark.skipif(not _has("symbolic"), reason="diffcompare.symbolic is not written yet (another helper's module)")
def test_symbolic_minibatches_see_each_batch():
    a = train("perceptron2", method="autodiff", optimizer="minibatch", batch_size=3, epochs=2,
              record_trajectory=True)
    b = train("perceptron2", method="symbolic", optimizer="minibatch", batch_size=3, epochs=2,
              record_trajectory=True)
    assert np.max(np.abs(np.array(a.trajectory) - np.array(b.trajectory))) <= 1e-12


def test_zero_one_loss_gradients_and_training():
    recs = experiments.losses(quick=True)
    g = {(r.extra["loss"], r.extra["w"], r.method): r.value for r in recs if r.metric == "dL_dw"}
    for m in ("autodiff", "autodiff-forward", "autograd"):
        assert g[("zero_one", 0.0, m)] == 0.0 and g[("zero_one", 0.3, m)] == 0.0
        assert g[("l2", 0.3, m)] == pytest.approx(g[("l2", 0.3, "autograd")], rel=1e-14)
    if _has("numerical"):
        assert abs(g[("zero_one", 0.0, "central")]) > 1e3       # a difference across the jump
        assert g[("logistic", 0.3, "central")] == pytest.approx(g[("logistic", 0.3, "autograd")], rel=1e-7)
    assert next(r.value for r in recs if r.metric == "w_moved") == 0.0


def test_compiling_methods_get_one_gradient_per_batch(monkeypatch):
    # symbolic bakes the data in at make(): the loop must then build one gradient function
    # per distinct batch. Exercise that path with autodiff and check nothing changes.
    plain = train("perceptron2", optimizer="minibatch", batch_size=2, epochs=4, seed=3)
    monkeypatch.setattr(loop, "_COMPILES", ("autodiff",))
    per_batch = train("perceptron2", optimizer="minibatch", batch_size=2, epochs=4, seed=3)
    assert per_batch.params == plain.params
    assert per_batch.info["distinct_batches"] > 1


# --- digits ------------------------------------------------------------------------------

def test_digits_split_is_fixed_and_standardised():
    Xtr, ytr, Xte, yte = load_digits(seed=0)
    assert Xtr.shape == (1438, 64) and Xte.shape == (359, 64)
    np.testing.assert_allclose(Xtr.mean(axis=0), 0.0, atol=1e-12)
    assert np.array_equal(load_digits(seed=0)[3], yte)


def test_digits_mlp_reaches_95_percent():
    r = train("mlp", "digits", optimizer="adam", epochs=15, hidden=32)
    assert r.test_accuracy >= 0.95
    assert r.params["W1"].shape == (64, 32) and r.params["W2"].shape == (32, 10)


# --- bad input ---------------------------------------------------------------------------

@pytest.mark.parametrize("kw,err", [({"prob": "nope"}, UnknownNameError),
                                    ({"data": "nope"}, UnknownNameError),
                                    ({"optimizer": "nope"}, UnknownNameError),
                                    ({"method": "nope"}, UnknownNameError),
                                    ({"lr": 0.0}, BadOptionError), ({"lr": -1.0}, BadOptionError),
                                    ({"lr": float("nan")}, BadOptionError),
                                    ({"epochs": 0}, BadOptionError),
                                    ({"optimizer": "gd", "batch_size": 2}, BadOptionError),
                                    ({"optimizer": "sgd", "batch_size": 2}, BadOptionError),
                                    ({"prob": "neuron"}, BadOptionError),
                                    ({"prob": "perceptron", "data": "digits"}, BadOptionError)])
def test_bad_input_is_a_typed_error(kw, err):
    with pytest.raises(err):
        train(**kw)


def test_nan_loss_stops_training_and_names_the_step():
    # f(w) = w² - log w; gd with lr 1: w -> -w + 1/w = 1.5, then -0.83 -> log of a negative.
    m = models.Model("nanny", lambda p, xp: p["w"] * p["w"] - xp.log(p["w"]), lambda rng: {"w": 0.5})
    # ... and with one-sample SGD the NaN is met by the next step's own loss evaluation
    m4 = models.Model("nanny4", lambda p, xp, x: xp.mean(x * (p["w"] * p["w"] - xp.log(p["w"]))),
                      lambda rng: {"w": 0.5}, {"x": np.ones(4)})
    with pytest.raises(TrainingDivergedError, match=r"epoch 1, step 3: the loss its gradient is taken at is nan"):
        train(Problem(m4, ("x",), 4, "none"), optimizer="sgd", lr=1.0, epochs=10)
    with pytest.raises(TrainingDivergedError, match=r"epoch 2, after step 2: the loss is nan") as e:
        train(Problem(m, (), 1, "none"), optimizer="gd", lr=1.0, epochs=10)
    assert e.value.step == 2


def test_overflow_stops_training_with_the_step():
    with pytest.raises(TrainingDivergedError, match=r"diverged at epoch \d+, (after )?step \d+") as e:
        train("perceptron", "lecture", optimizer="gd", lr=10.0)
    assert e.value.step > 0


# --- CLI ---------------------------------------------------------------------------------

def test_cli_perceptron_json_and_png(capsys, tmp_path):
    assert main(["train", "--model", "perceptron", "--data", "lecture", "--grad", "autodiff",
                 "--optimizer", "gd", "--json", "--out", str(tmp_path)]) == 0
    d = json.loads(capsys.readouterr().out)
    assert abs(d["params"]["w"] - 1.004691) < 1e-4
    assert d["loss"] == pytest.approx(d["history"][-1]) and len(d["history"]) == 101
    assert "test_accuracy" not in d
    png = tmp_path / "train_perceptron_lecture_autodiff_gd.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_digits_json_has_test_accuracy(capsys, tmp_path):
    assert main(["train", "--model", "mlp", "--data", "digits", "--optimizer", "adam", "--epochs", "2",
                 "--set", "hidden=8", "--json", "--no-plot", "--out", str(tmp_path)]) == 0
    d = json.loads(capsys.readouterr().out)
    assert 0.0 <= d["test_accuracy"] <= 1.0 and len(d["history"]) == 3
    assert np.array(d["params"]["W1"]).shape == (64, 8)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("argv", [["--model", "nope"], ["--data", "nope"], ["--optimizer", "nope"],
                                  ["--grad", "nope"], ["--lr", "0"], ["--lr", "-0.5"],
                                  ["--set", "nope"], ["--lr", "10"]])
def test_cli_bad_input_one_line_exit_2_nothing_written(argv, tmp_path, capsys):
    assert main(["train", *argv, "--out", str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert len(err.strip().splitlines()) == 1 and err.startswith("diffcompare: error:")
    assert out == "" and not list(tmp_path.iterdir())


def test_cli_divergence_in_a_subprocess_one_line_naming_the_step(tmp_path):
    # a real process: no numpy RuntimeWarning may leak onto stderr beside our one line
    r = subprocess.run([sys.executable, "-m", "diffcompare", "train", "--lr", "10", "--out", str(tmp_path)],
                       capture_output=True, text=True)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "step" in r.stderr and "learning rate 10" in r.stderr and not list(tmp_path.iterdir())


# --- figures -----------------------------------------------------------------------------

def test_figures_render_from_records():
    from matplotlib.figure import Figure

    from diffcompare.report import fig_train
    figs = [fig_train.loss_curve({"a": [1.0, 0.5, 0.1]}),
            fig_train.lr_sweep(experiments.lr_sweep(quick=True)),
            fig_train.momentum_contours(experiments.momentum_vs_gd(quick=True)),
            fig_train.sgd_vs_full(experiments.sgd_vs_full(quick=True)),
            fig_train.smallest_perceptron(experiments.smallest_perceptron(quick=True))]
    if _has("numerical"):
        figs.append(fig_train.gradient_sources(
            experiments.gradient_sources(quick=True, models_=("perceptron",), steps=5)))
    assert all(isinstance(f, Figure) for f in figs)


def test_figures_pick_their_own_records_from_the_whole_section():
    # the report hands every figure all of the section's records
    from matplotlib.figure import Figure

    from diffcompare.report import fig_train
    E = experiments.EXPERIMENTS
    allr = E["smallest_perceptron"](True) + E["lr_sweep"](True) + E["momentum_vs_gd"](True) + \
        E["sgd_vs_full"](True) + E["gradient_sources"](True)   # both of the last two have final_loss
    assert all(r.extra["experiment"] for r in allr)
    for name in ("smallest_perceptron", "lr_sweep", "momentum_vs_gd", "sgd_vs_full", "gradient_sources"):
        assert isinstance(fig_train.FIGURES[name](allr), Figure)
