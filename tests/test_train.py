"""train/loop.py and train/data.py: the loop on the lecture's models and digits, every
gradient source, bounded histories, the cost estimate, progress, bad input; the CLI."""
import json
import subprocess
import sys

import numpy as np
import pytest

from diffcompare import api, models
from diffcompare.cli import main
from diffcompare.errors import BadOptionError, UnknownNameError
from diffcompare.train import History, TrainingBudgetError, TrainingDivergedError, loop, problem, train
from diffcompare.train.data import Problem, load_digits

W_LS = 1.004690831556503      # Σxy/Σx² on the lecture's table
EXACT = list(api.EXACT_METHODS)


# --- the lecture's examples --------------------------------------------------------------

def test_smallest_perceptron_gd_default_reaches_least_squares():
    r = train("perceptron", "lecture", method="autodiff", optimizer="gd")
    assert abs(r.params["w"] - 1.004691) < 1e-4
    assert abs(r.params["w"] - W_LS) < 1e-12
    assert r.history[0] > r.history[-1] and len(r.history) == r.epochs + 1 == 101


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


@pytest.mark.parametrize("method", EXACT)
@pytest.mark.parametrize("name,lr", [("perceptron2", 0.05), ("mlp4", 2.0)])
def test_exact_sources_give_the_same_trajectory(method, name, lr):
    prob = problem(name, "lecture")
    ref = train(prob, method="autodiff", optimizer="gd", epochs=25, lr=lr, record_trajectory=True)
    r = train(prob, method=method, optimizer="gd", epochs=25, lr=lr, record_trajectory=True)
    assert np.max(np.abs(np.array(r.trajectory) - np.array(ref.trajectory))) <= 1e-10


def test_central_trains_the_perceptron_too():
    r = train("perceptron", "lecture", method="central", optimizer="gd")
    assert abs(r.params["w"] - W_LS) < 1e-8


def test_symbolic_minibatches_see_each_batch():
    a = train("perceptron2", method="autodiff", optimizer="minibatch", batch_size=3, epochs=2,
              record_trajectory=True)
    b = train("perceptron2", method="symbolic", optimizer="minibatch", batch_size=3, epochs=2,
              record_trajectory=True)
    assert np.max(np.abs(np.array(a.trajectory) - np.array(b.trajectory))) <= 1e-12


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
                                    ({"prob": "perceptron", "data": "digits"}, BadOptionError),
                                    ({"history": "some"}, BadOptionError),
                                    ({"max_seconds": 0}, BadOptionError),
                                    ({"max_seconds": "10"}, BadOptionError),
                                    ({"method_options": {"h": 1e-3}}, BadOptionError),
                                    ({"optimizer": "newton-cg", "hvp": "nope"}, BadOptionError)])
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
                                  ["--set", "nope"], ["--lr", "10"], ["--hvp", "nope"],
                                  ["--max-seconds", "0"]])
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




def test_cli_newton_cg_on_the_lecture_mlp(capsys, tmp_path):
    assert main(["train", "--model", "mlp4", "--optimizer", "trust-ncg", "--epochs", "30", "--json",
                 "--hvp", "autodiff", "--no-plot", "--out", str(tmp_path)]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["info"]["hvps"] > d["epochs"] > 5 and d["loss"] < 0.0105 < d["history"][0]


def test_cli_progress_is_one_line_per_interval_on_stderr_when_not_a_terminal(capsys, tmp_path):
    # under pytest stderr is not a terminal: lines, not a bar; --progress-every 0: every report
    assert main(["train", "--epochs", "3", "--no-plot", "--progress-every", "0", "--out", str(tmp_path)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err and all(line.startswith("train perceptron/lecture autodiff gd: epoch ") for line in err)
    assert err[-1].split(": epoch ")[1].startswith("3/3: loss ") and "(100.0% of the steps)" in err[-1]


def test_cli_refuses_a_billion_epochs_naming_the_estimate_and_the_option(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(loop, "CALIBRATE_S", 0.02)
    assert main(["train", "--epochs", "1000000000", "--no-plot", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("diffcompare: error: 1,000,000,000 epochs (1,000,000,000 steps at ")
    assert "would take about" in err and "the budget is 10 min" in err and "--max-seconds" in err


# --- bounded: histories, the cost estimate, the trajectory, progress ----------------------

class FakeClock:
    """perf_counter advancing ``dt`` per call: a step costs what the test says."""
    def __init__(self, dt):
        self.t, self.dt = 0.0, dt

    def __call__(self):
        self.t += self.dt
        return self.t


def test_long_runs_keep_a_bounded_history_with_first_last_and_lowest(monkeypatch):
    full = train("perceptron", optimizer="sgd", lr=0.005, epochs=500)      # the default cap keeps all
    monkeypatch.setattr(loop, "History", lambda: History(cap=16))
    r = train("perceptron", optimizer="sgd", lr=0.005, epochs=500)
    assert len(r.history) <= 19 and len(r.step_losses) <= 19 and r.step_index[0] == 1
    assert r.history_epochs[0] == 0 and r.history_epochs[-1] == 500 and r.epochs == 500
    assert r.loss == r.history[-1] and r.steps == 2000 and r.step_index[-1] == 2000
    assert set(r.curve) == {"epoch", "loss", "steps", "hvps", "seconds"}
    assert r.curve["steps"][-1] == 2000 and r.curve["steps"] == [4 * e for e in r.history_epochs]
    assert len(full.history) == 501 and min(full.history) in r.history and full.history[-1] == r.loss


def test_the_estimate_refuses_a_run_past_its_budget_before_the_work(monkeypatch):
    monkeypatch.setattr(loop, "CLOCK", FakeClock(0.01))
    with pytest.raises(TrainingBudgetError, match=r"would take about .* lower the epochs or raise max_seconds") as e:
        train("perceptron", optimizer="gd", epochs=100_000, max_seconds=60)
    # the loop reads its clock twice per full-batch epoch (the step, the epoch's record): 20 ms
    # per step on this clock, 100,000 steps
    assert e.value.budget == 60 and e.value.estimate == pytest.approx(2000, rel=0.01)
    assert e.value.kind == "time"
    r = train("perceptron", optimizer="gd", epochs=100, max_seconds=60)      # 2 s: runs
    assert r.epochs == 100


def test_no_budget_means_no_estimate(monkeypatch):
    monkeypatch.setattr(loop, "CLOCK", FakeClock(1.0))
    assert train("perceptron", optimizer="gd", epochs=50, max_seconds=None).epochs == 50


def test_recording_a_huge_trajectory_is_refused_up_front():
    with pytest.raises(TrainingBudgetError, match=r"MiB") as e:
        train("mlp", "lecture", epochs=10 ** 7, record_trajectory=True)
    assert e.value.kind == "memory" and e.value.estimate > e.value.budget


def test_progress_is_the_experiments_protocol_and_throttled(monkeypatch):
    seen = []
    monkeypatch.setattr(loop, "CLOCK", FakeClock(1.0))     # every step "takes" seconds
    train("perceptron2", optimizer="sgd", epochs=2, progress=lambda what, done, total: seen.append((what, done, total)))
    assert [d for _, d, _ in seen][:12] == list(range(1, 13)) and all(t == 12 for _, _, t in seen)
    assert seen[0][0].startswith("epoch 0.17/2: loss ") and seen[-1][0].startswith("epoch 2/2: loss ")
    seen.clear()
    monkeypatch.setattr(loop, "CLOCK", FakeClock(0.0))     # a frozen clock: only the end
    train("perceptron2", optimizer="sgd", epochs=2, progress=lambda *a: seen.append(a))
    assert len(seen) == 1 and seen[0][1:] == (12, 12)


def test_scipy_runs_report_iterations_and_count_hvps():
    seen = []
    r = train("mlp4", optimizer="trust-ncg", epochs=5, progress=lambda what, done, total: seen.append(total))
    assert r.epochs == 5 and r.curve["epoch"] == list(range(6)) and set(seen) == {5}
    assert r.curve["hvps"][0] == 0 and r.curve["hvps"][-1] == r.info["hvps"] > 0
    assert np.all(np.diff(r.curve["hvps"]) >= 0) and np.all(np.diff(r.curve["seconds"]) >= 0)


def test_a_user_hvp_is_used_for_the_newton_step():
    calls = []

    def hvp(p, v):          # the perceptron's Hessian is mean(x²) = 29.3125
        calls.append(1)
        return {"w": 29.3125 * v["w"]}
    r = train("perceptron", optimizer="newton-cg", epochs=3, hvp=hvp)
    assert calls and r.info["hvps"] == len(calls) and r.params["w"] == pytest.approx(W_LS, abs=1e-12)


def test_epoch_timing_has_a_spread_over_the_epochs(monkeypatch):
    monkeypatch.setattr(loop, "CLOCK", FakeClock(0.5))
    t = train("perceptron", optimizer="gd", epochs=10, max_seconds=None).epoch_timing()
    # per epoch: one clock read at the step, one at the epoch's record (0.5 s each)
    assert t.repeats == 10 and t.loops == 1 and t.median == pytest.approx(1.0) and t.min <= t.median <= t.max
