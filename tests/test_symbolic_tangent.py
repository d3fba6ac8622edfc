import pytest
import sympy

from diffcompare import models
from diffcompare.symbolic.expressions import build
from diffcompare.symbolic.sizes import tree_size
from diffcompare.symbolic.tangent import tangent_diff


@pytest.mark.parametrize("name,opts", [("softplus_chain", {"depth": 3}), ("softplus_chain", {"depth": 2, "width": 2}),
                                       ("logistic_map", {"n": 5}), ("mlp4", {}), ("neuron", {})])
def test_tangent_sweep_builds_exactly_sympy_diff(name, opts):
    m = models.get(name, **opts)
    for real in (True, False):
        me = build(m, m.params, real=real)
        for s in me.flat_params():
            assert tangent_diff(me.expr, s, verify=True) == sympy.diff(me.expr, s)


def test_tangent_sweep_reaches_the_issue_figures():
    # logistic map: our n = 16 steps from l_0 = x is Baydin et al.'s n = 17 (l_1 = x)
    m = models.get("logistic_map", n=16)
    me = build(m, m.params, real=False)
    assert tree_size([tangent_diff(me.expr, me.params["x"])]) == ([24_772_610], 234)
    m = models.get("softplus_chain", depth=12, width=2)
    me = build(m, m.params, real=False)
    assert tree_size([tangent_diff(me.expr, me.params["wa1"])]) == ([1_951_781], 303)
    d = 40
    m = models.get("softplus_chain", depth=d)
    me = build(m, m.params, real=False)
    (t,), dag = tree_size([tangent_diff(me.expr, me.params["w1"])])
    assert t == 8 * d * d + 9 * d + 1 and dag == 8 * d + 3
