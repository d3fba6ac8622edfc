"""train/optimizers.py: one step of each rule against hand-computed values; the scipy
methods (L-BFGS, Newton-CG with a Hessian-vector product) through params.Layout."""
import numpy as np
import pytest

from diffcompare.errors import BadOptionError, UnknownNameError
from diffcompare.train import optimizers, train

W_LS = 1.004690831556503      # Σxy/Σx² on the lecture's table

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


def test_stepping_optimizers_do_not_mutate_inputs():
    before = {k: np.copy(v) for k, v in P.items()}
    stepping = [o for o in optimizers.OPTIMIZERS.values() if o.step is not None]
    assert len(stepping) == 8
    for opt in stepping:
        _one(opt, 0.1)
    np.testing.assert_array_equal(P["v"], before["v"])
    assert P["w"] == 1.0


def test_unknown_optimizer_and_bad_learning_rates():
    with pytest.raises(UnknownNameError, match="newton-cg"):       # the message lists the known ones
        optimizers.get("newton")
    for lr in (0.0, -1.0, float("nan"), float("inf"), True, "0.1"):
        with pytest.raises(BadOptionError):
            optimizers.check_lr(lr)


# --- the scipy methods ---------------------------------------------------------------------

A = np.array([[3.0, 1.0], [1.0, 2.0]])
C = np.array([1.0, -1.0])


def _quadratic(p):
    """f = ½ uᵀAu − cᵀu + ½ s² over params {u: (2,), s: float}: minimum at u = A⁻¹c, s = 0."""
    u, s = p["u"], p["s"]
    return 0.5 * u @ A @ u - C @ u + 0.5 * s * s, {"u": A @ u - C, "s": s}


def _quadratic_hvp(p, v):
    return {"u": A @ v["u"], "s": v["s"]}


@pytest.mark.parametrize("name", ["lbfgs", "newton-cg", "trust-ncg"])
def test_scipy_methods_solve_a_quadratic_and_keep_the_params_structure(name):
    seen = []
    p, res = optimizers.minimize(optimizers.get(name), _quadratic, {"u": np.zeros(2), "s": 2.0}, 50,
                                 callback=seen.append, hvp=_quadratic_hvp, tol=1e-12)
    np.testing.assert_allclose(p["u"], np.linalg.solve(A, C), atol=1e-8)
    assert isinstance(p["s"], float) and abs(p["s"]) < 1e-8
    assert p["u"].shape == (2,) and seen and all(set(q) == {"u", "s"} for q in seen)
    assert (res.get("nhev", 0) > 0) == (name != "lbfgs")        # the Newton methods used our HVP


def test_newton_methods_need_an_hvp_and_stepping_methods_do_not_run_through_scipy():
    with pytest.raises(BadOptionError, match="Hessian-vector product"):
        optimizers.minimize(optimizers.newton_cg, _quadratic, {"u": np.zeros(2), "s": 0.0}, 5)
    with pytest.raises(BadOptionError, match="does not run through scipy"):
        optimizers.minimize(optimizers.gd, _quadratic, {"u": np.zeros(2), "s": 0.0}, 5)


@pytest.mark.parametrize("hvp", ["autodiff", "autograd"])
def test_newton_on_the_lecture_mlp_with_each_hvp_source(hvp):
    r = train("mlp4", optimizer="trust-ncg", epochs=40, tol=1e-14, hvp=hvp)
    assert r.loss < 0.0104277 and r.info["hvps"] > r.epochs      # the mlp4 floor, 0.01042765


def test_our_hvp_and_autograds_give_the_same_newton_trajectory():
    # each product agrees to ~1e-16 relative; CG and the line search amplify the last bits by
    # about the Hessian's condition number (~900 at the start) over the iterations
    a, b = (train("mlp4", optimizer="newton-cg", epochs=8, hvp=h, record_trajectory=True)
            for h in ("autodiff", "autograd"))
    assert a.epochs == b.epochs == 8 and a.info["hvps"] == b.info["hvps"]
    assert np.max(np.abs(np.array(a.trajectory) - np.array(b.trajectory))) <= 1e-8


def test_lbfgs_and_newton_solve_the_perceptron_in_one_iteration():
    # The perceptron's loss is a quadratic in w: a line search or a Newton step lands on Σxy/Σx².
    for name in ("lbfgs", "newton-cg", "trust-ncg"):
        r = train("perceptron", "lecture", optimizer=name, epochs=1)
        assert r.epochs == 1 and r.info["scipy_nit"] == 1
        assert r.params["w"] == pytest.approx(W_LS, abs=1e-12)
    assert r.info["hvps"] >= 1
