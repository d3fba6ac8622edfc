import numpy as np
import pytest

import diffcompare as dc
from diffcompare import models
from diffcompare.errors import BadParamsError


def test_jvp_is_the_directional_derivative():
    m = models.get("mlp", sizes=(3, 4, 2), batch=6)
    p = m.init(1)
    rng = np.random.default_rng(0)
    t = {k: rng.standard_normal(np.shape(v)) for k, v in p.items()}
    v, d = dc.jvp(m, p, t)
    g = dc.grad(m, "autograd")(p)
    assert d == pytest.approx(sum(float(np.sum(g[k] * t[k])) for k in p), rel=1e-12)
    assert v == pytest.approx(dc.evaluate(m, p), rel=1e-15)


def test_forward_mode_chunks_directions():
    m = models.get("mlp", sizes=(4, 5, 1), batch=3)
    p = m.init(2)
    g_small = dc.grad(m, "autodiff-forward", chunk=7)(p)
    ref = dc.grad(m, "autograd")(p)
    for k in p:
        np.testing.assert_allclose(g_small[k], ref[k], rtol=1e-12, atol=1e-15)


def test_jvp_rejects_mismatched_tangents():
    with pytest.raises(BadParamsError):
        dc.jvp(lambda p, xp: p["w"], {"w": 1.0}, {"v": 1.0})
    with pytest.raises(BadParamsError):
        dc.jvp(lambda p, xp: xp.sum(p["a"]), {"a": np.ones(3)}, {"a": np.ones(2)})


def test_forward_namespace_square_of_a_constant_and_of_a_dual():
    # x * x made once: for a dual (2 x xdot) -- and a constant squared stays a constant (the
    # shortcut once reached for the tangent of a plain value)
    from diffcompare.forward import FORWARD, Dual
    assert FORWARD.mul(2.0, 2.0) == 4.0
    a = np.array([1.0, 3.0])
    assert FORWARD.mul(a, a).tolist() == [1.0, 9.0]
    d = Dual(np.array([1.0, 3.0]), np.array([[1.0, 0.5]]))
    sq = FORWARD.mul(d, d)
    assert sq.value.tolist() == [1.0, 9.0] and sq.tangent.tolist() == [[2.0, 3.0]]
