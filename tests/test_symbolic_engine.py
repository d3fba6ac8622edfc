import pytest
import sympy

from diffcompare import models
from diffcompare.experiments.swell_steps import SE_TREE1, TAN_TREE1, TREE1
from diffcompare.experiments.swell_sweep import sweep
from diffcompare.symbolic.engine import to_symengine
from diffcompare.symbolic.expressions import build


def test_symengine_beside_sympy():
    se = pytest.importorskip("symengine")
    rows = sweep("logistic_map", 4, budget=5, steps=("tan", "diff1"), symengine=True)
    for r in rows:       # SymEngine keeps its own form (no auto-expansion): its own tree size
        assert r["se_diff1_s"] >= 0 and r[SE_TREE1] > 0 and r[TAN_TREE1] == r[TREE1]
    # n = 1: SymEngine keeps 4(1 - x) - 4x (11 nodes), SymPy's Add makes it 4 - 8x (5 nodes)
    assert [r[SE_TREE1] for r in rows] == [11, 44, 166, 530]
    m = models.get("logistic_map", n=6)
    me = build(m, m.params, real=False)
    e, x = to_symengine([me.expr, me.flat_params()[0]])
    want = sympy.diff(me.expr, me.flat_params()[0]).subs(me.flat_params()[0], sympy.Rational(3, 10))
    assert e.diff(x).subs({x: se.Rational(3, 10)}) == se.sympify(want)
    x = sympy.Symbol("x")
    e = sympy.log(1 + sympy.exp(3 * x / 2)) ** 2
    (g,) = to_symengine([e])
    assert g == se.sympify(e)


def test_every_function_by_its_name_and_an_unknown_one_is_typed():
    se = pytest.importorskip("symengine")
    from diffcompare.errors import BadOptionError
    x = sympy.Symbol("x")
    e = sympy.tanh(x) + sympy.sin(x) * sympy.Float(0.25)
    (g,) = to_symengine([e])
    assert float(g.subs({se.Symbol("x"): 0.5})) == pytest.approx(float(e.subs(x, 0.5)), rel=1e-15)
    with pytest.raises(BadOptionError, match="DiracDelta"):
        to_symengine([sympy.DiracDelta(x)])
