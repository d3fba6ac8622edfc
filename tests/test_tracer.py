import numpy as np
import pytest

import diffcompare as dc
from diffcompare import models
from diffcompare.errors import BadParamsError, DiffcompareError, NonScalarOutputError, TracerError, UnknownOpError


def test_neuron_trace_is_the_lectures_sequence():
    m = models.get("neuron")
    tape = dc.trace(m, m.params)
    lines = str(tape).splitlines()
    lhs_rhs = [tuple(part.strip() for part in line.split("=")[:2]) for line in lines]
    assert lhs_rhs == [("t1", "w*x"), ("z", "t1 + b"), ("t3", "-z"), ("t4", "exp(t3)"),
                       ("t5", "1 + t4"), ("y", "1/t5"), ("t6", "y - t"), ("t7", "t6**2"),
                       ("L", "t7/2")]
    assert len(tape) == 9
    # forward values: w=0.5, x=2, b=0.1, t=1
    y = 1 / (1 + np.exp(-1.1))
    assert tape.value == pytest.approx((y - 1) ** 2 / 2, rel=1e-15)
    assert lines[5].endswith(f"{y:.6g}")


def test_adjoints_on_request():
    m = models.get("neuron")
    text = dc.trace(m, m.params).format(adjoints=True)
    assert "backward:" in text
    y = 1 / (1 + np.exp(-1.1))
    dz = (y - 1) * y * (1 - y)
    assert f"dL/dw = {dz * 2:.6g}" in text and f"dL/dz = {dz:.6g}" in text


def test_100k_op_chain_needs_no_recursion():
    def f(p, xp):
        v = p["x"]
        for _ in range(50_000):
            v = v * 1.0000001 + 0.0
        return v
    g = dc.grad(f)({"x": 1.0})
    assert g["x"] == pytest.approx(1.0000001 ** 50_000, rel=1e-9)
    assert len(dc.trace(f, {"x": 1.0})) == 100_000


def test_reuse_accumulates_cotangents():
    f = lambda p, xp: p["x"] * p["x"] * p["x"] + xp.sin(p["x"]) * p["x"]
    g = dc.grad(f)({"x": 0.7})
    assert g["x"] == pytest.approx(3 * 0.49 + np.cos(0.7) * 0.7 + np.sin(0.7), rel=1e-15)


def test_broadcasting_is_undone():
    X = np.arange(6.0).reshape(3, 2)
    f = lambda p, xp: xp.sum(xp.tanh(X @ p["W"] + p["b"]) * p["s"])
    p = {"W": np.ones((2, 4)) * 0.1, "b": np.zeros(4), "s": 2.0}
    g, ref = dc.grad(f)(p), dc.grad(f, "autograd")(p)
    for k in p:
        np.testing.assert_allclose(g[k], ref[k], rtol=1e-13)
    assert isinstance(g["s"], float) and g["b"].shape == (4,)


def test_constant_output_gives_zero_gradient():
    v, g = dc.value_and_grad(lambda p, xp: 3.0)({"w": 1.0, "a": np.ones(2)})
    assert v == 3.0 and g["w"] == 0.0 and np.all(g["a"] == 0)


def test_step_has_no_gradient_but_a_value():
    f = lambda p, xp: xp.step(p["w"] * 2.0 - 1.0) + p["w"]
    v, g = dc.value_and_grad(f)({"w": 1.0})
    assert v == 2.0 and g["w"] == 1.0


def test_non_scalar_output_is_a_typed_error():
    with pytest.raises(NonScalarOutputError, match="shape"):
        dc.grad(lambda p, xp: p["a"] * 2)({"a": np.ones(3)})


@pytest.mark.parametrize("bad", [{"w": float("nan")}, {"w": np.array([1.0, np.inf])}, {}, [1.0], {"w": "x"}])
def test_bad_params_are_typed_errors(bad):
    with pytest.raises(BadParamsError):
        dc.grad(lambda p, xp: p["w"])(bad)


def test_numpy_behind_the_namespaces_back_is_caught():
    with pytest.raises(TracerError, match="xp"):
        dc.grad(lambda p, xp: np.exp(p["w"]))({"w": 1.0})
    with pytest.raises(TracerError):
        dc.grad(lambda p, xp: np.sum(p["a"]))({"a": np.ones(3)})
    import math
    with pytest.raises(TracerError):
        dc.grad(lambda p, xp: math.exp(p["w"]))({"w": 1.0})


def test_numpy_behind_the_back_is_caught_on_later_calls_too():
    """After its first call a GradFn goes straight to the backend: the typed error stays."""
    g = dc.grad(lambda p, xp: np.sum(p["a"]) if p["a"][0] > 1.5 else xp.sum(p["a"]))
    assert np.all(g({"a": np.ones(3)})["a"] == 1.0)
    with pytest.raises(TracerError, match="xp"):
        g({"a": np.full(3, 2.0)})


def test_unknown_op_names_where_rows_are_added():
    with pytest.raises(UnknownOpError, match="primitives.py"):
        dc.grad(lambda p, xp: xp.arctan(p["w"]))({"w": 1.0})
    assert issubclass(UnknownOpError, DiffcompareError)


def test_unknown_method():
    with pytest.raises(DiffcompareError, match="known: autodiff"):
        dc.grad(lambda p, xp: p["w"], method="magic")


def test_grad_reports_tape_length_and_times():
    m = models.get("softplus_chain", depth=4)
    gf = dc.grad(m)
    gf(m.params)
    assert gf.info["tape_length"] == 20 and gf.info["call_s"] > 0 and "setup_s" in gf.info


def test_metadata_positional_or_keyword_in_every_namespace():
    a = np.arange(6.0).reshape(2, 3) + 1.0
    f = lambda p, xp: xp.sum(xp.reshape(p["a"], (3, 2)), 0)[1] + xp.sum(xp.transpose(p["a"], (1, 0)) ** 2)
    for method in ("autodiff", "autodiff-forward", "autograd"):
        g = dc.grad(f, method)({"a": a})["a"]
        np.testing.assert_allclose(g, 2 * a + np.array([[0, 1, 0], [1, 0, 1]]), rtol=1e-14)


def test_backward_at_a_pole_is_ieee_not_an_exception():
    with np.errstate(all="ignore"):
        assert dc.grad(lambda p, xp: xp.sqrt(p["x"]))({"x": 0.0})["x"] == np.inf
        assert dc.grad(lambda p, xp: xp.log(p["x"]))({"x": 0.0})["x"] == np.inf
        assert dc.grad(lambda p, xp: 1 / p["x"])({"x": 0.0})["x"] == -np.inf
