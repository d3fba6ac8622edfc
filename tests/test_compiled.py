"""The compiled gradient: the emitted program equals the eager tracer bit for bit, re-checks
every assumption it was traced under, and falls back to the tracer where IEEE needs it."""
import math
import subprocess
import sys

import numpy as np
import pytest

import diffcompare as dc
from diffcompare import codegen, models, tracer


def _both(f, params):
    eager = dc.value_and_grad(f, "autodiff")(params)
    comp = dc.value_and_grad(f, "autodiff-compiled")
    comp(params)                                     # traces and emits
    return eager, comp(params), comp                 # the second call runs the program


@pytest.mark.parametrize("name", models.NAMES)
def test_bit_for_bit_equal_to_the_eager_tracer_on_every_catalogue_model(name):
    m = models.get(name)
    (v, g), (vc, gc), comp = _both(m, m.params)
    assert comp.info["programs"] == 1 and comp.info["fallbacks"] == 0
    assert vc == v and vc.__class__ is float
    for k in g:
        a, b = np.asarray(g[k]), np.asarray(gc[k])
        assert a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes(), k


def test_the_program_is_the_lectures_backprop():
    src = dc.trace(models.get("neuron"), {"w": 0.5, "b": 0.1}).source()
    assert "t1 = (w * x)" in src and "z = (t1 + b)" in src and "t4 = exp_math(t3)" in src
    fwd, bwd = src.split("# backward")
    assert "g_" not in fwd and bwd.count("g_z") >= 3 and "g_t5 = g_t6 * ((-y) / t5)" in bwd
    assert "return L, {'w': g_w, 'b': g_z" in src


def test_trace_cli_prints_the_code():
    out = subprocess.run([sys.executable, "-m", "diffcompare", "trace", "log(1+exp(w*x+b))",
                          "--at", "w=0.5,x=2,b=0.1", "--code"], capture_output=True, text=True, check=True).stdout
    assert "the adjoint program (autodiff-compiled):" in out and "def program(params):" in out
    assert "t2 = (t1 + b)" in out and "log_math(" in out


def _relu_diff(p, xp):
    return xp.maximum(p["x"], 0.0) - xp.maximum(-p["x"], 0.0)


def _python_if(p, xp):
    x = p["x"]
    if x > 0:
        return x * x
    return -3.0 * x


def _abs_chain(p, xp):
    return xp.abs(p["x"] - 1.0) * p["x"]


@pytest.mark.parametrize("f, points", [
    (_python_if, [2.0, -1.0, 3.0, -2.0, 0.0]),
    (_relu_diff, [1.0, 0.0, -1.0, 0.5]),
    (_abs_chain, [2.0, 1.0, 0.0, 3.0]),
])
def test_a_branch_that_flips_between_calls_stays_correct(f, points):
    comp = dc.grad(f, "autodiff-compiled")
    for x in points:
        assert comp({"x": x}) == dc.grad(f)({"x": x}), x
    # a Python branch keeps one program per outcome; value-dependent ops need none
    assert comp.info["programs"] == (2 if f is _python_if else 1)


def test_cache_is_bounded():
    def f(p, xp):
        x = p["x"]
        k = 0
        while x > 1.0:                 # the number of steps is a branch outcome
            x = x * 0.5
            k += 1
        return x * x
    comp = dc.grad(f, "autodiff-compiled", cache=3)
    for v in (1.5, 3.0, 5.0, 9.0, 17.0, 1.5):
        assert comp({"x": v}) == dc.grad(f)({"x": v})
    assert comp.info["programs"] == 3


def test_a_new_shape_or_dtype_traces_again():
    f = lambda p, xp: xp.sum(xp.tanh(p["w"]) * p["w"])
    comp = dc.grad(f, "autodiff-compiled")
    for w in (np.arange(3.0), np.arange(5.0), np.arange(3.0, dtype=np.float32), np.arange(3.0)):
        got, want = comp({"w": w}), dc.grad(f)({"w": w})
        assert got["w"].dtype == want["w"].dtype and np.array_equal(got["w"], want["w"])
    assert comp.info["programs"] == 3


def test_ieee_answers_and_errors_are_the_eager_tracers():
    f = lambda p, xp: xp.log(p["x"]) + xp.sqrt(p["y"])
    comp = dc.grad(f, "autodiff-compiled")
    comp({"x": 1.0, "y": 4.0})
    with np.errstate(all="ignore"):
        g = comp({"x": 0.0, "y": 4.0})               # math.log(0) raises: the tracer answers
    assert g["x"] == math.inf and comp.info["fallbacks"] == 1
    with pytest.raises(dc.DiffcompareError, match="NaN"):
        comp({"x": float("nan"), "y": 4.0})


def test_a_long_chain_compiles_linearly():
    def chain(p, xp, n=10_000):
        v = p["x"]
        for _ in range(n):
            v = v * 1.0000001 + 0.0
        return v
    tape = tracer.record(chain, {"x": 1.0})
    prog = codegen.emit(tape, {"x": 1.0})
    assert prog.tape_length == 20_000
    value, g = prog.fn({"x": 1.0})
    assert g["x"] == pytest.approx(1.0000001 ** 10_000, rel=1e-12)


def test_trained_with_the_compiled_gradient():
    from diffcompare.train import train
    r = train("perceptron", "lecture", method="autodiff-compiled", optimizer="gd")
    assert round(r.params["w"], 4) == 1.0047
