import numpy as np
import sympy

from diffcompare import models
from diffcompare.symbolic.expressions import as_expr, build, exact, memo_namespace


def test_memoised_build_gives_the_fresh_expression():
    memo = {}
    for d in (2, 5):
        m = models.get("softplus_chain", depth=d)
        assert build(m, m.params, real=False, xp=memo_namespace(memo)).expr == build(m, m.params, real=False).expr


def test_exact_numbers_never_text():
    assert exact(0.5) == sympy.Rational(1, 2) and exact(2.0) == 2 and isinstance(exact(2.0), sympy.Integer)
    assert as_expr(np.int64(3)) == 3 and as_expr(1.5) == sympy.Float(1.5)


def test_per_sample_data_become_one_symbolic_row():
    x = np.linspace(-1, 1, 50)
    m = models.mlp4(x=x, t=0.5 + 0.1 * x)
    me = build(m, m.params)
    assert me.n_samples == 50 and me.row_syms["x"].shape == (1,) and not me.substituted
    full = build(m, m.params, per_sample=False)
    assert full.substituted and full.n_samples == 0
