"""The symbolic Hessian: SymPy's second derivatives, lambdified with cse, (n, n) over the
params' one layout, under the same budget as the gradient."""
import numpy as np
import pytest

import diffcompare as dc
from diffcompare import models
from diffcompare.errors import IntractableError
from diffcompare.hessian import hessian
from diffcompare.params import Layout
from diffcompare.symbolic import make_hessian

CASES = [("softplus_chain", {"depth": 3}), ("softplus_chain", {"depth": 2, "width": 2}), ("mlp4", {}),
         ("neuron", {}), ("logistic_map", {"n": 4}), ("mlp", {"sizes": (2, 3, 1), "batch": 8}),
         ("perceptron", {"loss": "logistic"})]


@pytest.mark.parametrize("name,opts", CASES)
def test_hessian_equals_autograd(name, opts):
    m = models.get(name, **opts)
    p = m.init(1)
    value, H, stats = make_hessian(m, p)(p)
    ref = hessian(m, "autograd")(p)
    n = Layout(p).n
    assert H.shape == (n, n) == ref.shape and np.array_equal(H, H.T)
    assert np.max(np.abs(H - ref)) <= 1e-12 * np.max(np.abs(ref))
    assert value == pytest.approx(dc.evaluate(m, p), rel=1e-13)
    assert stats["hess_tree"] >= stats["grad_tree"] >= 1 and stats["cse_ops"] > 0 and stats["n"] == n


def test_hessian_sizes_of_the_lecture_chain():
    # per-entry tree of the full n x n Hessian against the gradient's: the swell compounds
    m = models.get("softplus_chain", depth=2)
    _, _, st = make_hessian(m, m.params)(m.params)
    assert st["grad_tree"] == (32 * 8 + 63 * 4 + 20) // 3 and st["hess_tree"] > 10 * st["grad_tree"]


def test_hessian_through_the_public_api():
    m = models.get("neuron")
    H = hessian(m, "symbolic")(m.params)
    np.testing.assert_allclose(H, hessian(m, "autodiff")(m.params), rtol=1e-13)


def test_hessian_budget_is_the_gradients():
    m = models.get("softplus_chain", depth=40, width=2)
    with pytest.raises(IntractableError) as e:
        make_hessian(m, m.params, budget=0.3)(m.params)
    assert e.value.budget == 0.3 and "Hessian" in str(e.value)
