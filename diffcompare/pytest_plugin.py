"""pytest plugin (entry point ``pytest11``): the ``gradcheck`` fixture, so any project gets
gradient checks with ``pip install diffcompare``::

    def test_my_grad(gradcheck):
        gradcheck(my_loss, params, grad=my_grad)         # also vjp=, jvp=, hvp=, hess=

A "fail" raises ``GradcheckError`` (an AssertionError with the compact table). An
"inconclusive" check (a kink, noise, entries the dtype cannot resolve) SKIPS the test with its
reason, so it shows in the summary (``pytest -rs`` prints the reasons); under
``--gradcheck-strict`` it fails the test instead. Options: ``--gradcheck-seed N`` (default 0),
``--gradcheck-tol X`` (a factor on the error model's expected error, default 1).
"""
from __future__ import annotations

import pytest


def pytest_addoption(parser):
    group = parser.getgroup("diffcompare", "gradient checks (diffcompare)")
    group.addoption("--gradcheck-seed", type=int, default=0, help="seed of gradcheck's probes")
    group.addoption("--gradcheck-tol", type=float, default=1.0,
                    help="factor on the modelled numerical error (default 1)")
    group.addoption("--gradcheck-strict", action="store_true",
                    help="an inconclusive gradcheck fails the test (default: skips it with the reason)")


@pytest.fixture
def gradcheck(request):
    """``gradcheck(f, params, grad=None, **options) -> GradcheckResult``: raises
    ``GradcheckError`` on "fail"; skips (fails under --gradcheck-strict) on "inconclusive"."""
    from diffcompare.gradcheck import GradcheckError
    from diffcompare.gradcheck import gradcheck as run_check
    cfg = request.config
    defaults = {"seed": cfg.getoption("--gradcheck-seed"), "tol": cfg.getoption("--gradcheck-tol")}
    strict = cfg.getoption("--gradcheck-strict")

    def check(f, params, grad=None, **options):
        __tracebackhide__ = True
        res = run_check(f, params, grad, **{**defaults, **options})
        if res.status == "fail" or (res.status == "inconclusive" and strict):
            raise GradcheckError(res)
        if res.status == "inconclusive":
            pytest.skip(f"gradcheck inconclusive: {' '.join(res.reason.split())[:300]}")
        return res
    return check
