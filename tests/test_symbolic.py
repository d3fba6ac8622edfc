
import numpy as np
import pytest
import sympy

import diffcompare as dc
from diffcompare import models, symbolic
from diffcompare.errors import DiffcompareError, IntractableError

CATALOGUE = [
    ("perceptron", {}), ("perceptron", {"loss": "hinge"}), ("perceptron", {"loss": "logistic"}),
    ("perceptron2", {}), ("neuron", {}), ("softplus", {}), ("softplus_chain", {"depth": 3}),
    ("softplus_chain", {"depth": 2, "width": 2}), ("mlp4", {}), ("logistic_map", {"n": 4}),
    ("mlp", {"sizes": (2, 3, 1), "batch": 16}),
    ("mlp", {"sizes": (2, 3, 3), "loss": "softmax_ce", "activation": "tanh", "batch": 8}),
]


@pytest.mark.parametrize("name,opts", CATALOGUE)
def test_symbolic_equals_autodiff_on_the_catalogue(name, opts, assert_close):
    m = models.get(name, **opts)
    p = m.init(1)
    gf = dc.grad(m, "symbolic")
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


def test_tree_count_memoised_equals_explicit_traversal():
    for name, opts in [("softplus_chain", {"depth": 3}), ("logistic_map", {"n": 3}),
                       ("softplus_chain", {"depth": 2, "width": 2})]:
        m = models.get(name, **opts)
        me = symbolic.build(m, m.params)
        for s in me.flat_params()[:2]:
            g = sympy.diff(me.expr, s)
            assert symbolic.tree_size([g])[0][0] == symbolic.explicit_tree_size(g)


def test_tree_count_handles_astronomical_sizes():
    # x_{k+1} = x_k * x_k built unevaluated: a DAG of k+1 nodes, a tree of 2^(k+1) - 1
    x = sympy.Symbol("x")
    e = x
    for _ in range(200):
        e = sympy.Mul(e, e, evaluate=False)
    (t,), dag = symbolic.tree_size([e])
    assert t == 2 ** 201 - 1 and dag == 201


def test_chain_laws_under_sympy_representation():
    for d in range(1, 5):
        m = models.get("softplus_chain", depth=d)
        me = symbolic.build(m, m.params)
        g = [sympy.diff(me.expr, s) for s in me.flat_params()]
        (t1,), dag1 = symbolic.tree_size(g[:1])
        assert t1 == 8 * d * d + 9 * d + 1 and dag1 == 8 * d + 3
        assert 3 * sum(symbolic.tree_size(g)[0]) == 32 * d ** 3 + 63 * d ** 2 + 10 * d
        assert symbolic.cse_ops(*sympy.cse(g[0])) == 8 * d - 2


def test_reverse_sweep_builds_the_same_derivative_as_sympy_diff():
    m = models.get("softplus_chain", depth=3)
    me = symbolic.build(m, m.params)
    grads, st, tape = symbolic.reverse_gradient(m, m.params, me)
    for k, s in me.params.items():
        assert grads[k] == sympy.diff(me.expr, s)       # identical expressions, exact constants
    assert len(tape) == 15


def test_reverse_sweep_of_the_logistic_map_is_equal_in_value():
    m = models.get("logistic_map", n=4)
    me = symbolic.build(m, m.params)
    g, _, _ = symbolic.reverse_gradient(m, m.params, me)
    x = me.params["x"]
    assert sympy.expand(g["x"] - sympy.diff(me.expr, x)) == 0


def test_budget_fires_on_a_deep_model():
    # Without the budget this setup runs for hours (sympy.diff of a width-2 chain of depth
    # 40); that the test ends at all is the point -- no wall-clock assert (shared machines).
    m = models.get("softplus_chain", depth=40, width=2)
    with pytest.raises(IntractableError) as e:
        dc.grad(m, "symbolic", budget=0.3)(m.params)
    assert "intractable" in str(e.value) and e.value.budget == 0.3


def test_run_budgeted_returns_and_reraises():
    assert symbolic.run_budgeted(sum, [1, 2, 3], budget=5) == 6
    with pytest.raises(ZeroDivisionError):
        symbolic.run_budgeted(lambda: 1 / 0, budget=5)


@pytest.mark.parametrize("name,opts", [("softplus_chain", {"depth": 3}), ("softplus_chain", {"depth": 2, "width": 2}),
                                       ("logistic_map", {"n": 5}), ("mlp4", {}), ("neuron", {})])
def test_tangent_sweep_builds_exactly_sympy_diff(name, opts):
    m = models.get(name, **opts)
    for real in (True, False):
        me = symbolic.build(m, m.params, real=real)
        for s in me.flat_params():
            assert symbolic.tangent_diff(me.expr, s) == sympy.diff(me.expr, s)


def test_tangent_sweep_reaches_the_issue_figures():
    # logistic map: our n = 16 steps from l_0 = x is Baydin et al.'s n = 17 (l_1 = x)
    m = models.get("logistic_map", n=16)
    me = symbolic.build(m, m.params, real=False)
    assert symbolic.tree_size([symbolic.tangent_diff(me.expr, me.params["x"])]) == ([24_772_610], 234)
    m = models.get("softplus_chain", depth=12, width=2)
    me = symbolic.build(m, m.params, real=False)
    assert symbolic.tree_size([symbolic.tangent_diff(me.expr, me.params["wa1"])]) == ([1_951_781], 303)
    d = 40
    m = models.get("softplus_chain", depth=d)
    me = symbolic.build(m, m.params, real=False)
    (t,), dag = symbolic.tree_size([symbolic.tangent_diff(me.expr, me.params["w1"])])
    assert t == 8 * d * d + 9 * d + 1 and dag == 8 * d + 3


def test_unexpected_setup_failure_is_a_typed_error():
    def bad(params, xp):             # float() of a SymPy symbol: a raw TypeError in the child
        return params["w"] * float(params["w"])
    m = models.Model("bad", bad, lambda rng: {"w": 0.5}, {})
    with pytest.raises(symbolic.SymbolicSetupError) as e:
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
