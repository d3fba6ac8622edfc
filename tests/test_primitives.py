"""The table is tested by iterating it: adding a row adds its tests."""
import numpy as np
import pytest
import sympy

from diffcompare import NUMPY, SYMPY
from diffcompare.primitives import ROWS, TABLE, unbroadcast

ELEMENTWISE = [r for r in ROWS if r.elementwise and r.partials is not None]
NONDIFF = [r for r in ROWS if r.elementwise and r.partials is None]
STRUCTURAL = [r for r in ROWS if not r.elementwise]


def _symbols(n):
    return sympy.symbols("x0:%d" % n, real=True)


@pytest.mark.parametrize("row", ELEMENTWISE, ids=lambda r: r.name)
def test_partials_equal_sympy_diff_exactly(row):
    xs = _symbols(row.nargs)
    out = row.sym(*xs)
    for k, partial in enumerate(row.partials):
        ours = partial(SYMPY, out, *xs)
        theirs = sympy.diff(out, xs[k])
        if row.name in ("maximum", "minimum"):
            # SymPy writes d Max(x, y)/dx as Heaviside(x - y) (H(0) = 1/2), and so do we; its
            # piecewise form is checked numerically below.
            theirs = theirs.rewrite(sympy.Heaviside)
        ours = sympy.sympify(ours)
        ours = ours.xreplace({c: sympy.Rational(c) for c in ours.atoms(sympy.Float)})  # as the symbolic sweep does
        diff = sympy.simplify(ours - theirs)
        if diff != 0:                             # hyperbolic forms: compare as exponentials
            diff = sympy.simplify((ours - theirs).rewrite(sympy.exp))
        assert diff == 0, f"{row.name}: partial {k} = {ours}, sympy.diff = {theirs}"


@pytest.mark.parametrize("row", ELEMENTWISE, ids=lambda r: r.name)
def test_partials_agree_with_central_differences(row):
    rng = np.random.default_rng(0)
    lo, hi = row.domain
    for _ in range(20):
        x = rng.uniform(lo, hi, row.nargs)
        out = row.impl(*x)
        for k, partial in enumerate(row.partials):
            h = 1e-6 * max(1.0, abs(x[k]))
            xp_, xm = x.copy(), x.copy()
            xp_[k] += h
            xm[k] -= h
            fd = (row.impl(*xp_) - row.impl(*xm)) / (2 * h)
            assert partial(NUMPY, out, *x) == pytest.approx(fd, rel=1e-6, abs=1e-8), (row.name, x)


@pytest.mark.parametrize("row", ELEMENTWISE + NONDIFF, ids=lambda r: r.name)
def test_float_fast_path_matches_numpy(row):
    rng = np.random.default_rng(1)
    lo, hi = row.domain
    for _ in range(10):
        x = [float(v) for v in rng.uniform(lo, hi, row.nargs)]
        scalar = row.impl(*x)
        arr = row.impl(*[np.array([v]) for v in x])[0]
        assert scalar == pytest.approx(arr, rel=1e-14, abs=1e-300)


def test_float_path_gives_ieee_answers_not_exceptions():
    with np.errstate(all="ignore"):
        assert np.isposinf(TABLE["exp"].impl(1000.0))
        assert TABLE["exp"].impl(-1000.0) == 0.0
        assert np.isneginf(TABLE["log"].impl(0.0))
        assert np.isnan(TABLE["log"].impl(-1.0))
        assert np.isnan(TABLE["sqrt"].impl(-1.0))
        assert np.isposinf(TABLE["div"].impl(1.0, 0.0))
        assert np.isnan(TABLE["pow"].impl(-8.0, 0.5))
        assert TABLE["sigmoid"].impl(-1000.0) == 0.0 and TABLE["sigmoid"].impl(1000.0) == 1.0


@pytest.mark.parametrize("row", NONDIFF, ids=lambda r: r.name)
def test_nondiff_rows_have_zero_derivative_away_from_zero(row):
    xs = _symbols(1)
    d = sympy.diff(row.sym(*xs), xs[0])
    for v in (-1.5, -0.2, 0.3, 2.0):
        assert d.subs(xs[0], v) == 0


@pytest.mark.parametrize("row", STRUCTURAL, ids=lambda r: r.name)
def test_structural_vjp_and_jvp_are_adjoint(row):
    """<ybar, J xdot> == <J^T ybar, xdot> for random vectors: the vjp and jvp of a row
    describe the same Jacobian, and both match central differences."""
    rng = np.random.default_rng(2)
    cases = {
        "matmul": [((3, 4), (4, 2), {}), ((4,), (4, 2), {}), ((3, 4), (4,), {}), ((4,), (4,), {})],
        "sum": [((3, 4), {"axis": 1}), ((3, 4), {}), ((2, 3, 4), {"axis": 0, "keepdims": True})],
        "mean": [((3, 4), {"axis": 0}), ((5,), {})],
        "logsumexp": [((3, 4), {"axis": -1}), ((6,), {})],
        "reshape": [((3, 4), {"shape": (2, 6)})],
        "transpose": [((3, 4), {}), ((2, 3, 4), {"axes": (1, 2, 0)})],
        "getitem": [((5, 3), {"index": (slice(1, 4), 2)}), ((6,), {"index": np.array([0, 2, 2])})],
        "broadcast_to": [((3,), {"shape": (4, 3)}), ((1, 3), {"shape": (2, 4, 3)})],
        "scatter": [((3,), {"index": np.array([0, 2, 2]), "shape": (5,)}),
                    ((3, 2), {"index": (slice(1, 4),), "shape": (5, 2)})],
    }[row.name]
    for case in cases:
        *shapes, kw = case
        args = [rng.standard_normal(s) for s in shapes]
        out = row.impl(*args, **kw)
        ybar = rng.standard_normal(np.shape(out))
        for k in range(len(args)):
            xdot = rng.standard_normal(args[k].shape)
            xdots = [None] * len(args)
            xdots[k] = xdot[None]
            jv = row.jvp(xdots, out, *args, **kw)[0]
            vj = row.vjps[k](NUMPY, ybar, out, *args, **kw)
            assert np.sum(ybar * jv) == pytest.approx(np.sum(vj * xdot), rel=1e-10)
            h = 1e-6
            a_p, a_m = list(args), list(args)
            a_p[k] = args[k] + h * xdot
            a_m[k] = args[k] - h * xdot
            fd = (row.impl(*a_p, **kw) - row.impl(*a_m, **kw)) / (2 * h)
            np.testing.assert_allclose(jv, fd, rtol=1e-6, atol=1e-8)


def test_unbroadcast_sums_back_to_the_argument_shape():
    g = np.ones((4, 3, 5))
    assert unbroadcast(g, np.zeros((3, 1))).shape == (3, 1)
    assert np.all(unbroadcast(g, np.zeros((3, 1))) == 20)
    assert unbroadcast(g, 2.0) == 60.0 and isinstance(unbroadcast(g, 2.0), float)
    assert unbroadcast(g, np.zeros(5)).shape == (5,)


def test_every_row_has_what_its_kind_needs():
    for r in ROWS:
        if r.elementwise:
            assert r.partials is None or len(r.partials) == r.nargs, r.name
        else:
            assert r.jvp is not None and len(r.vjps) == r.nargs, r.name
        assert r.show, r.name


def test_shortcut_partials_are_what_the_rules_return():
    """The sweeps skip the call for a constant partial (add, sub, neg) and for one that is an
    input as is (mul: y, x; exp: out): on real values each shortcut must be the rule's answer."""
    assert TABLE["add"].constant == (1.0, 1.0) and TABLE["sub"].constant == (1.0, -1.0)
    assert TABLE["mul"].passes == (2, 1) and TABLE["exp"].passes == (0,)
    assert TABLE["log"].passes is None and TABLE["div"].constant is None
    rng = np.random.default_rng(3)
    for row in ELEMENTWISE:
        args = [rng.uniform(*row.domain, size=3) for _ in range(row.nargs)]
        out = row.impl(*args)
        for k, rule in enumerate(row.partials):
            if row.constant is not None:
                assert np.all(rule(NUMPY, out, *args) == row.constant[k]), row.name
            if row.passes is not None and row.passes[k] is not None:
                assert rule(NUMPY, out, *args) is (out, *args)[row.passes[k]], row.name
