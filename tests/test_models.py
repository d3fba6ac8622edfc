"""Every catalogue model: autodiff and autodiff-forward equal autograd to 1e-12."""
import numpy as np
import pytest

import diffcompare as dc
from diffcompare import models
from diffcompare.errors import BadOptionError, UnknownNameError

CASES = [
    ("perceptron", {}), ("perceptron", {"loss": "l1"}), ("perceptron", {"loss": "hinge"}),
    ("perceptron", {"loss": "logistic"}), ("perceptron2", {}), ("neuron", {}), ("softplus", {}),
    ("softplus_chain", {"depth": 2}), ("softplus_chain", {"depth": 10}),
    ("softplus_chain", {"depth": 4, "width": 2}), ("mlp4", {}), ("logistic_map", {"n": 8}),
    ("mlp", {}), ("mlp", {"sizes": (5, 7, 3), "activation": "tanh", "loss": "softmax_ce", "batch": 9}),
    ("mlp", {"sizes": (3, 4, 2), "activation": "relu", "batch": 5}),
]


@pytest.mark.parametrize("name,opts", CASES, ids=[f"{n}-{o}" for n, o in CASES])
@pytest.mark.parametrize("method", ["autodiff", "autodiff-forward"])
def test_exact_methods_equal_autograd(name, opts, method, assert_close):
    m = models.get(name, **opts)
    p = m.init(3)
    v, g = dc.value_and_grad(m, method)(p)
    v_ref, ref = dc.value_and_grad(m, "autograd")(p)
    assert v == pytest.approx(v_ref, rel=1e-13)
    assert_close(g, ref, rel=1e-12)


def test_catalogue_names_are_the_designs():
    assert models.NAMES == ("perceptron", "perceptron2", "neuron", "softplus", "softplus_chain",
                            "mlp4", "logistic_map", "mlp")


def test_perceptron_least_squares_optimum_has_zero_gradient():
    x, y = models.LECTURE_X, models.LECTURE_Y
    w = float(np.sum(x * y) / np.sum(x * x))
    assert w == pytest.approx(1.004691, abs=1e-6)
    assert dc.grad(models.get("perceptron"))({"w": w})["w"] == pytest.approx(0.0, abs=1e-13)


def test_lecture_gradient_of_the_smallest_perceptron():
    # dL/dw = -(y - yhat) x, averaged over the table
    x, y = models.LECTURE_X, models.LECTURE_Y
    g = dc.grad(models.get("perceptron"))({"w": 0.5})["w"]
    assert g == pytest.approx(float(np.mean(-(y - 0.5 * x) * x)), rel=1e-15)


def test_softplus_chain_depth_two_is_the_slides_nest():
    m = models.get("softplus_chain", depth=2)
    p = {"w1": 0.3, "b1": -0.2, "w2": 0.7, "b2": 0.1}
    x = 0.5
    expected = np.log(1 + np.exp(0.7 * np.log(1 + np.exp(0.3 * x - 0.2)) + 0.1))
    assert dc.evaluate(m, p) == pytest.approx(expected, rel=1e-15)
    assert len(dc.trace(m, p)) == 10      # 5 primitive ops per layer


def test_logistic_map_matches_closed_form():
    x = 0.3
    l2 = dc.evaluate(models.get("logistic_map", n=2), {"x": x})
    assert l2 == pytest.approx(16 * x * (1 - x) * (1 - 2 * x) ** 2, rel=1e-14)


def test_zero_one_loss_has_zero_gradient():
    m = models.get("perceptron", loss="zero_one", x=[1.0, -2.0, 3.0], y=[1.0, 1.0, -1.0])
    v, g = dc.value_and_grad(m)({"w": 0.5})
    assert v == pytest.approx(2 / 3) and g["w"] == 0.0


@pytest.mark.parametrize("name,opts,err", [("nope", {}, UnknownNameError),
                                           ("softplus_chain", {"depth": 0}, BadOptionError),
                                           ("softplus_chain", {"width": 3}, BadOptionError),
                                           ("mlp", {"activation": "swish"}, UnknownNameError),
                                           ("perceptron", {"loss": "l7"}, UnknownNameError),
                                           ("softplus", {"colour": 1}, BadOptionError)])
def test_bad_model_options(name, opts, err):
    with pytest.raises(err):
        models.get(name, **opts)


def test_float32_model_keeps_its_dtype():
    m = models.get("mlp", sizes=(3, 4, 1), batch=5, dtype=np.float32)
    g = dc.grad(m)(m.params)
    assert g["W1"].dtype == np.float32
