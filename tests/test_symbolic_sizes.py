import sympy

from diffcompare import models
from diffcompare.symbolic.expressions import build
from diffcompare.symbolic.sizes import cse_ops, explicit_tree_size, tree_size


def test_tree_count_memoised_equals_explicit_traversal():
    for name, opts in [("softplus_chain", {"depth": 3}), ("logistic_map", {"n": 3}),
                       ("softplus_chain", {"depth": 2, "width": 2})]:
        m = models.get(name, **opts)
        me = build(m, m.params)
        for s in me.flat_params()[:2]:
            g = sympy.diff(me.expr, s)
            assert tree_size([g])[0][0] == explicit_tree_size(g)


def test_tree_count_handles_astronomical_sizes():
    # x_{k+1} = x_k * x_k built unevaluated: a DAG of k+1 nodes, a tree of 2^(k+1) - 1
    x = sympy.Symbol("x")
    e = x
    for _ in range(200):
        e = sympy.Mul(e, e, evaluate=False)
    (t,), dag = tree_size([e])
    assert t == 2 ** 201 - 1 and dag == 201


def test_chain_laws_under_sympy_representation():
    for d in range(1, 5):
        m = models.get("softplus_chain", depth=d)
        me = build(m, m.params)
        g = [sympy.diff(me.expr, s) for s in me.flat_params()]
        (t1,), dag1 = tree_size(g[:1])
        assert t1 == 8 * d * d + 9 * d + 1 and dag1 == 8 * d + 3
        assert 3 * sum(tree_size(g)[0]) == 32 * d ** 3 + 63 * d ** 2 + 10 * d
        assert cse_ops(*sympy.cse(g[0])) == 8 * d - 2
