"""pytest plugin (entry point ``pytest11``): the ``gradcheck`` fixture, so any project gets
gradient checks with ``pip install diffcompare``::

    def test_my_grad(gradcheck):
        gradcheck(my_loss, params, my_grad)      # raises GradcheckError on "fail"

Options: ``--gradcheck-seed N`` (default 0) and ``--gradcheck-tol X`` (a factor on the
error model's expected error, default 1), ``--gradcheck-strict`` (inconclusive fails too).
"""
from __future__ import annotations

import pytest


def pytest_addoption(parser):
    group = parser.getgroup("diffcompare", "gradient checks (diffcompare)")
    group.addoption("--gradcheck-seed", type=int, default=0, help="seed of gradcheck's probes")
    group.addoption("--gradcheck-tol", type=float, default=1.0,
                    help="factor on the modelled numerical error (default 1)")
    group.addoption("--gradcheck-strict", action="store_true",
                    help="an inconclusive gradcheck (kink, noise) fails the test too")


@pytest.fixture
def gradcheck(request):
    """``gradcheck(f, params, grad, **options) -> GradcheckResult``; raises
    ``GradcheckError`` (an AssertionError with a compact table) when the check fails."""
    from diffcompare.gradcheck import assert_gradcheck
    cfg = request.config
    defaults = {"seed": cfg.getoption("--gradcheck-seed"), "tol": cfg.getoption("--gradcheck-tol"),
                "allow_inconclusive": not cfg.getoption("--gradcheck-strict")}

    def check(f, params, grad, **options):
        __tracebackhide__ = True
        return assert_gradcheck(f, params, grad, **{**defaults, **options})
    return check
