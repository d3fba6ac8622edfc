"""Scoring gradient checkers on the seeded suites: ours and its peers, each peer run with the
settings its own documentation gives for the dtype (``SETTINGS`` says which).

A bug counts as *caught* when the checker says "fail" on it AND "pass" on the correct
derivative of the same case (a checker that fails everything catches nothing); a *false
alarm* is a correct derivative reported "fail"; inconclusive verdicts are counted apart;
unresolvable cases (see ``suite``) must never be reported "pass".
"""
from __future__ import annotations

import numpy as np

from ..params import Layout
from . import gradcheck
from .suite import suite
from .suite_vec import suite_second, suite_vec

__all__ = ["CHECKERS", "SETTINGS", "FAMILIES", "cases", "score", "torch_available", "status_of"]

FAMILIES = {"first-order": ("grad",), "vjp/jvp": ("vjp", "jvp"), "second-order": ("hvp", "hess")}

SETTINGS = {
    "diffcompare": {"float64": "defaults (3 points, 4 directions, 4 coords per block, tol 1)",
                    "float32": "defaults (the error model adapts to the dtype)"},
    "scipy.check_grad": {"float64": "epsilon = sqrt(eps64) = 1.5e-8 (scipy's default); pass iff "
                                    "err <= 1e-5 max(1, |grad|) (scipy documents no threshold)",
                         "float32": "epsilon = sqrt(eps32) = 3.5e-4 (scipy's default rule, sqrt of the "
                                    "dtype's machine epsilon); pass iff err <= 1e-2 max(1, |grad|)"},
    "autograd.check_grads": {"float64": "modes=['rev'], order=1 with autograd's defaults "
                                        "(EPS = 1e-6, TOL = RTOL = 1e-6, designed for float64)",
                             "float32": "modes=['rev'] (['fwd'] for jvp), order=1 with EPS = 1e-3, "
                                        "TOL = RTOL = 1e-3 (autograd documents no float32 setting)"},
    "torch.autograd.gradcheck": {"float64": "defaults (eps 1e-6, atol 1e-5, rtol 1e-3: 'designed for "
                                            "double precision')",
                                 "float32": "not run: its docs say the defaults will likely fail below "
                                            "double precision"},
}


def status_of(checker, case):
    """A checker's verdict on a case; a crash is a verdict too ('error:<type>')."""
    try:
        return checker(case)
    except Exception as e:           # noqa: BLE001 -- a crash on a case is scored, not raised
        return f"error:{type(e).__name__}"


def check_ours(case, **kw):
    return gradcheck(case.f, case.params, **case.kw, **kw).status


def _flat(case):
    """(fun(theta), theta0, layout) on one float64 vector; f sees its params' dtype."""
    L = Layout(case.params)
    return (lambda t: case.f(L.unflatten(t))), L.flatten(case.params), L


def check_scipy(case):
    from scipy.optimize import check_grad
    if case.family != "grad":
        return "n/a"
    fun, x0, L = _flat(case)
    grad = lambda t: L.flatten(case.kw["grad"](L.unflatten(t)))
    single = case.dtype == "float32"
    eps = float(np.sqrt(np.finfo(np.float32 if single else np.float64).eps))
    with np.errstate(all="ignore"):
        err = check_grad(lambda t: float(fun(t)), grad, x0, epsilon=eps, seed=0)
    rtol = 1e-2 if single else 1e-5
    return "pass" if err <= rtol * max(1.0, float(np.linalg.norm(grad(x0)))) else "fail"


def check_autograd(case):
    """autograd.test_util.check_grads on a primitive whose VJP (or JVP) is the derivative
    under test: the standard way to check a custom derivative with autograd."""
    from autograd import test_util
    from autograd.extend import defjvp, defvjp, primitive
    if case.family not in ("grad", "vjp", "jvp"):
        return "n/a"
    fun, x0, L = _flat(case)
    shape = np.shape(fun(x0))
    prim = primitive(lambda t: np.asarray(fun(t), dtype=np.float64))
    an = case.kw[case.family]
    if case.family == "grad":
        defvjp(prim, lambda ans, t: lambda gbar: gbar * L.flatten(an(L.unflatten(t))))
    elif case.family == "vjp":
        defvjp(prim, lambda ans, t: lambda yb: L.flatten(an(L.unflatten(t), np.reshape(yb, shape))))
    else:
        defjvp(prim, lambda g, ans, t: np.asarray(an(L.unflatten(t), L.unflatten(g)), dtype=np.float64))
    loose = case.dtype == "float32"
    saved = test_util.EPS, test_util.TOL, test_util.RTOL
    test_util.EPS, test_util.TOL, test_util.RTOL = (1e-3, 1e-3, 1e-3) if loose else saved
    np.random.seed(0)            # check_grads draws its direction from numpy's global RNG
    try:
        with np.errstate(all="ignore"):
            test_util.check_grads(prim, modes=["fwd" if case.family == "jvp" else "rev"], order=1)(x0)
    except AssertionError:
        return "fail"
    finally:
        test_util.EPS, test_util.TOL, test_util.RTOL = saved
    return "pass"


def torch_available():
    try:
        import torch  # noqa: F401
        return True
    except ImportError:
        return False


CHECKERS = {"diffcompare": check_ours, "scipy.check_grad": check_scipy,
            "autograd.check_grads": check_autograd}


def cases(dtype, heldout=False, family="first-order", kinds=None):
    """The suite's cases of one family of checks."""
    if family == "first-order":
        return suite(dtype, heldout=heldout, kinds=kinds)
    out = suite_vec(dtype, heldout) if family == "vjp/jvp" else suite_second(dtype, heldout)
    return [c for c in out if not kinds or c.kind in kinds]


def score(cs, checker):
    """Counts and the structured misses of one checker on cases (checker(case) -> status)."""
    st = {(c.kind, c.family, c.seed, c.buggy): status_of(checker, c) for c in cs}
    s = dict(bugs=0, caught=0, caught_unpaired=0, correct=0, false_alarms=0, errors=0,
             inconclusive_correct=0, inconclusive_bugs=0, unresolvable=0, unresolvable_passed=0,
             not_applicable=0, missed=[], alarms=[])
    for c in cs:
        v = st[(c.kind, c.family, c.seed, c.buggy)]
        if v == "n/a":
            s["not_applicable"] += 1
            continue
        where = {"kind": c.kind, "family": c.family, "seed": c.seed, "dtype": c.dtype, "status": v}
        if not c.resolvable:
            s["unresolvable"] += 1
            s["unresolvable_passed"] += v == "pass"
            continue
        if c.buggy:
            s["bugs"] += 1
            paired = st.get((c.kind, c.family, c.seed, False), "pass") == "pass"
            s["caught_unpaired"] += v == "fail"
            if v == "fail" and paired:
                s["caught"] += 1
            else:
                s["missed"].append(dict(where, correct_status=st.get((c.kind, c.family, c.seed, False))))
            s["inconclusive_bugs"] += v == "inconclusive"
        else:
            s["correct"] += 1
            s["false_alarms"] += v == "fail"
            s["errors"] += v.startswith("error")
            s["inconclusive_correct"] += v == "inconclusive"
            if v == "fail" or v.startswith("error"):
                s["alarms"].append(where)
    return s
