import sympy

from diffcompare import models
from diffcompare.symbolic.expressions import build
from diffcompare.symbolic.reverse import ExactRules, reverse_gradient


def test_reverse_sweep_builds_the_same_derivative_as_sympy_diff():
    m = models.get("softplus_chain", depth=3)
    me = build(m, m.params)
    grads, st, tape = reverse_gradient(m, m.params, me)
    for k, s in me.params.items():
        assert grads[k] == sympy.diff(me.expr, s)       # identical expressions, exact constants
    assert len(tape) == 15


def test_reverse_sweep_of_the_logistic_map_is_equal_in_value():
    m = models.get("logistic_map", n=4)
    me = build(m, m.params)
    g, _, _ = reverse_gradient(m, m.params, me)
    x = me.params["x"]
    assert sympy.expand(g["x"] - sympy.diff(me.expr, x)) == 0


def test_exact_rules_make_float_literals_exact_and_are_per_computation():
    from diffcompare.primitives import TABLE
    x = sympy.Symbol("x")
    a, b = ExactRules(), ExactRules()
    sqrt = a.row(TABLE["sqrt"])
    assert sqrt.partials[0](None, sympy.sqrt(x), x) == 1 / (2 * sympy.sqrt(x))   # 0.5 became 1/2
    assert a.row(TABLE["sqrt"]) is sqrt and b.row(TABLE["sqrt"]) is not sqrt
    assert a.table_partials()[sympy.exp](sympy.exp(x), x) == sympy.exp(x)
