import numpy as np
import pytest

import diffcompare as dc
from diffcompare import models
from diffcompare.errors import DiffcompareError, IntractableError
from diffcompare.symbolic import SymbolicSetupError

CATALOGUE = [
    ("perceptron", {}), ("perceptron", {"loss": "hinge"}), ("perceptron", {"loss": "logistic"}),
    ("perceptron2", {}), ("neuron", {}), ("softplus", {}), ("softplus_chain", {"depth": 3}),
    ("softplus_chain", {"depth": 2, "width": 2}), ("mlp4", {}), ("logistic_map", {"n": 4}),
    ("mlp", {"sizes": (2, 3, 1), "batch": 16}),
    ("mlp", {"sizes": (2, 3, 3), "loss": "softmax_ce", "activation": "tanh", "batch": 8}),
]


@pytest.mark.parametrize("evaluator", ["sympy", "auto"])
@pytest.mark.parametrize("name,opts", CATALOGUE)
def test_symbolic_equals_autodiff_on_the_catalogue(name, opts, evaluator, assert_close):
    m = models.get(name, **opts)
    p = m.init(1)
    gf = dc.grad(m, "symbolic", evaluator=evaluator)
    assert_close(gf(p), dc.grad(m, "autodiff")(p), rel=1e-12)
    assert gf.info["setup_s"] > 0 and gf.info["grad_tree"] >= 1


def test_per_sample_data_do_not_grow_the_expression():
    small = models.get("mlp4")
    x = np.linspace(-2, 2, 400)
    big = models.mlp4(x=x, t=0.5 + 0.1 * np.sin(x))
    a, b = dc.grad(small, "symbolic"), dc.grad(big, "symbolic")
    a(small.params)
    gb = b(big.params)
    assert a.info["grad_tree"] == b.info["grad_tree"] and b.info["per_sample"] and b.info["samples"] == 400
    ref = dc.grad(big, "autodiff")(big.params)
    assert max(abs(gb[k] - ref[k]) for k in ref) <= 1e-12 * max(abs(v) for v in ref.values())


def test_reverse_engine_equals_diff_engine(assert_close):
    m = models.get("mlp", sizes=(2, 3, 1), batch=8)
    p = m.params
    assert_close(dc.grad(m, "symbolic", engine="reverse")(p), dc.grad(m, "symbolic", engine="diff")(p), rel=1e-12)


def test_not_a_per_sample_mean_falls_back_to_substitution(assert_close):
    def centred(params, xp, x):      # subtracts the batch mean: not a mean of per-sample terms
        d = params["w"] * x - xp.mean(params["w"] * x)
        return xp.mean(d * d) + params["w"]
    m = models.Model("centred", centred, lambda rng: {"w": 0.7}, {"x": np.array([1.0, 2.0, 4.0])})
    gf = dc.grad(m, "symbolic")
    assert_close(gf(m.params), dc.grad(m, "autodiff")(m.params))
    assert gf.info["per_sample"] is False


def test_budget_fires_on_a_deep_model():
    # Without the budget this setup runs for hours (sympy.diff of a width-2 chain of depth
    # 40); that the test ends at all is the point -- no wall-clock assert (shared machines).
    m = models.get("softplus_chain", depth=40, width=2)
    with pytest.raises(IntractableError) as e:
        dc.grad(m, "symbolic", budget=0.3)(m.params)
    assert "intractable" in str(e.value) and e.value.budget == 0.3


def test_unexpected_setup_failure_is_a_typed_error():
    def bad(params, xp):             # float() of a SymPy symbol: a raw TypeError in the child
        return params["w"] * float(params["w"])
    m = models.Model("bad", bad, lambda rng: {"w": 0.5}, {})
    with pytest.raises(SymbolicSetupError) as e:
        dc.grad(m, "symbolic")(m.params)
    assert "TypeError" in str(e.value) and isinstance(e.value, DiffcompareError)


@pytest.mark.parametrize("loss", ["zero_one", "hinge", "l1"])
def test_symbolic_on_kinked_losses_equals_autodiff(loss):
    # zero_one's SymPy derivative is a DiracDelta: the a.e. derivative (0) is taken, as the
    # table's step row does
    m = models.get("perceptron", loss=loss, x=[1.0, -2.0, 3.0], y=[1.0, 1.0, -1.0])
    v, g = dc.value_and_grad(m, "symbolic")({"w": 0.5})
    v_ref, ref = dc.value_and_grad(m)({"w": 0.5})
    assert v == pytest.approx(v_ref, rel=1e-14) and g["w"] == pytest.approx(ref["w"], rel=1e-14, abs=0)


@pytest.mark.parametrize("text,at", [("log(x)", 0.0), ("1/x", 0.0), ("10**x", 400.0), ("x**1.5", -1.0),
                                     ("sqrt(x)", 0.0), ("exp(x)", 1000.0)])
def test_issue12_8_symbolic_returns_ieee_values_where_autodiff_does(text, at):
    # raw ZeroDivisionError / OverflowError / TypeError before: now the IEEE values autodiff returns
    from diffcompare.expr import parse
    e = parse(text)
    v, g = dc.value_and_grad(e, "symbolic")({"x": at})
    v_ad, g_ad = dc.value_and_grad(e, "autodiff")({"x": at})
    np.testing.assert_array_equal([v, g["x"]], [v_ad, g_ad["x"]])
    assert not np.isfinite(v) or not np.isfinite(g["x"])


def test_stats_keep_their_keys():
    m = models.get("softplus_chain", depth=2)
    gf = dc.grad(m, "symbolic")
    gf(m.params)
    for key in ("engine", "expr_tree", "grad_tree", "dag_size", "build_s", "diff_s", "cse_s", "lambdify_s",
                "cse_ops", "per_sample", "samples", "evaluator"):
        assert key in gf.info, key
    assert gf.info["evaluator"].startswith("symengine.Lambdify") and gf.info["engine"] == "diff"


def test_issue15_5_symengine_lambdify_where_it_knows_every_function():
    pytest.importorskip("symengine")
    m = models.get("mlp", sizes=(2, 3, 1), batch=16)
    gf = dc.grad(m, "symbolic")
    gf(m.params)
    assert gf.info["evaluator"].startswith("symengine.Lambdify") and gf.info["per_sample"]
    step = models.get("perceptron", loss="zero_one", x=[1.0, -2.0], y=[1.0, -1.0])   # Heaviside: not in SymEngine
    gf = dc.grad(step, "symbolic")
    gf({"w": 0.5})
    assert gf.info["evaluator"] == "sympy.lambdify"
    with pytest.raises(DiffcompareError, match="Heaviside"):
        dc.grad(step, "symbolic", evaluator="symengine")({"w": 0.5})
    with pytest.raises(DiffcompareError, match="evaluator must be one of"):
        dc.grad(step, "symbolic", evaluator="fast")({"w": 0.5})
