"""THE high-precision reference: SymPy at 50 digits, mpmath.diff past its size cap, and a
label that always says which one was used."""
import math

import numpy as np
import pytest

import diffcompare as dc
from diffcompare import highprec, models

SOFTPLUS = models.get("softplus")


def test_sympy_at_50_digits_on_softplus():
    d, label = highprec.derivatives(SOFTPLUS, SOFTPLUS.params, "w", orders=(0, 1, 2))
    s = 1 / (1 + math.exp(-1.1))
    assert label == highprec.SYMPY_LABEL
    assert d[0] == pytest.approx(math.log1p(math.exp(1.1)), rel=1e-15)
    assert d[1] == pytest.approx(2 * s, rel=1e-15) and d[2] == pytest.approx(4 * s * (1 - s), rel=1e-14)


def test_mpmath_past_the_size_cap_on_the_logistic_map():
    m = models.get("logistic_map", n=20)
    d, label = highprec.derivatives(m, m.params, "x", orders=(1,))
    assert label == highprec.MPMATH_LABEL
    ad = dc.grad(m, "autodiff")(m.params)["x"]
    assert abs(ad - d[1]) < 1e-8 * abs(d[1])


def test_gradient_of_array_params_matches_autograd_to_rounding():
    m = models.get("mlp", sizes=(2, 2, 1), batch=3)
    g, label = highprec.gradient(m, m.params)
    ref = dc.grad(m, "autograd")(m.params)
    assert label == highprec.SYMPY_LABEL and set(g) == set(ref)
    for k in ref:
        assert np.shape(g[k]) == np.shape(ref[k])
        assert np.max(np.abs(g[k] - ref[k])) <= 1e-14 * max(1.0, float(np.max(np.abs(ref[k]))))


def test_float32_data_are_taken_at_their_exact_binary_values():
    m = models.get("mlp4")
    m32 = m.with_data(x=m.data["x"].astype(np.float32), t=m.data["t"].astype(np.float32))
    exact = m.with_data(x=m32.data["x"].astype(np.float64), t=m32.data["t"].astype(np.float64))
    assert highprec.gradient(m32, m.params)[0] == highprec.gradient(exact, m.params)[0]


def test_a_model_sympy_cannot_run_falls_back_to_autodiff_and_says_so():
    def branchy(p, xp):                  # a Python branch on a symbol: SymPy raises TypeError
        return p["x"] ** 2 if p["x"] > 0 else -p["x"]
    g, label = highprec.gradient(branchy, {"x": 1.5})
    assert label == highprec.AUTODIFF_LABEL and g["x"] == 3.0
