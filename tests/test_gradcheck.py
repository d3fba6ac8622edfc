"""gradcheck: the seeded-bug suite (a subset per dtype, kept fast), first-order (C1) points,
kinks, non-finite f, resolution honesty, option checks, culprits by bisection and the bug's
likely kind, the asserting form."""
import math
import warnings

import numpy as np
import pytest

import diffcompare as dc
from diffcompare.errors import BadOptionError
from diffcompare.gradcheck import GradcheckError, GradcheckInputError, assert_gradcheck, gradcheck, score

FAST_KINDS = ["half", "sign", "transpose", "sigmoid-prime", "bias", "off-by-one", "wrong-axis",
              "rel-1e-4", "tiny-block-sign", "under-regulariser", "kink-near", "kink-at",
              "noisy-f", "offset-1e8", "huber-switch", "relu2-at-0", "nan-f"]


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)     # the NaN-f cases warn, by design
        yield


@pytest.mark.parametrize("dtype,target", [("float64", 1.0), ("float32", 0.95)])
def test_suite_no_false_alarms_and_detection(dtype, target):
    s = score.score(score.cases(dtype, kinds=FAST_KINDS), score.check_ours)
    assert s["false_alarms"] == 0 and s["errors"] == 0, s["alarms"]
    assert s["caught"] / s["bugs"] >= target, s["missed"]
    assert s["unresolvable"] >= 2 and s["unresolvable_passed"] == 0


def test_heldout_float64_subset():
    cs = score.cases("float64", heldout=True, kinds=["factor2", "noisy-f", "mlp-backprop",
                                                      "huber-switch"])
    s = score.score(cs, score.check_ours)
    assert s["false_alarms"] == 0 and s["caught"] == s["bugs"], (s["alarms"], s["missed"])


def test_correct_gradients_at_scale_extremes_pass():
    x = np.linspace(0.1, 2, 30)
    for a, off in ((1e-12, 0.0), (1e12, 0.0), (1.0, 1e8), (1.0, -1e8)):
        r = gradcheck(lambda x: off + a * np.sum(np.sin(x)), x, lambda x: a * np.cos(x))
        assert r.status == "pass", (a, off, r.summary())
        r = gradcheck(lambda x: off + a * np.sum(np.sin(x)), x, lambda x: a * 1.001 * np.cos(x))
        assert r.status == "fail", (a, off)


def _huber(x, d=1.0):
    a = np.abs(x)
    return np.sum(np.where(a <= d, 0.5 * x * x, d * (a - 0.5 * d)))


def test_first_order_point_judged_one_sided():
    # exactly at Huber's switch f'' jumps: central differences converge at first order there
    x = np.array([1.0, -1.0, 0.3, 2.0])
    r = gradcheck(_huber, x, lambda x: np.clip(x, -1, 1))
    assert r.status == "pass", r.summary()
    r = gradcheck(_huber, x, lambda x: np.clip(x, -1, 1) * (1 + 1e-3 * np.sign(x)))
    assert r.status == "fail"
    r = gradcheck(lambda x: np.sum(np.maximum(x, 0) ** 2), np.array([0.0, 1.0, -1.0]),
                  lambda x: 2 * np.maximum(x, 0))
    assert r.status == "pass", r.summary()


def test_kink_exactly_at_point_is_inconclusive_with_reason():
    x = np.array([0.0, 1.0, -2.0])
    r = gradcheck(lambda x: np.sum(np.maximum(x, 0)), x, lambda x: (x > 0).astype(float), points=1)
    assert r.status == "inconclusive" and "kink" in r.reason


def test_nonfinite_f_never_passes():
    with pytest.raises(GradcheckInputError, match="nan at the given point"):
        gradcheck(lambda x: np.sum(np.log(x)), np.array([-1.0, 2.0]), lambda x: 7 / np.abs(x))
    with pytest.raises(GradcheckInputError, match="nan"):
        gradcheck(lambda x: np.nan, np.ones(3), lambda x: x)
    # finite at the point, NaN a step away: inconclusive, saying where
    r = gradcheck(lambda x: np.sum(np.sqrt(x)), np.array([1e-9, 1.0]), lambda x: 0.5 / np.sqrt(x))
    assert r.status == "inconclusive" and "not finite" in r.reason


def test_vacuous_or_impossible_options_refused():
    f, g, x = (lambda x: np.sum(x ** 2)), (lambda x: x), np.ones(4)
    for kw in (dict(directions=0, coords=0), dict(max_evals=10), dict(radius=math.nan), dict(tol=-1),
               dict(points=0), dict(directions=1.5)):
        with pytest.raises(BadOptionError):
            gradcheck(f, x, g, **kw)


def test_max_evals_is_a_real_bound():
    f, x = (lambda x: np.sum(np.sin(x))), np.linspace(0, 1, 50)
    r = gradcheck(f, x, np.cos, max_evals=60)
    assert r.evals <= 60 and r.status == "inconclusive" and "max_evals=60" in r.reason
    r = gradcheck(f, x, lambda x: -np.cos(x), max_evals=60)
    assert r.evals <= 60 and r.status == "fail"


def test_unresolvable_entries_are_named_never_pass():
    c = np.linspace(0.5, 1.5, 6).astype(np.float32)
    f = lambda p: np.sum(c * p["w"] ** 2) + np.float32(1e-6) * np.sum(np.sin(p["t"]))
    g = lambda p: {"w": 2 * c * p["w"], "t": np.float32(1e-6) * np.cos(p["t"])}
    p = {"w": np.linspace(-1, 1, 6).astype(np.float32), "t": np.linspace(-0.5, 0.5, 6).astype(np.float32)}
    r = gradcheck(f, p, g)
    assert r.status == "inconclusive" and "unverified" in r.reason
    assert {u.split("[")[0] for u in r.unverified} == {"t"} and len(r.unverified) == 6
    p64 = {k: v.astype(np.float64) for k, v in p.items()}
    assert gradcheck(f, p64, g).status == "pass"          # float64 resolves them


def test_one_bad_coordinate_named_first_and_kinds():
    rng = np.random.default_rng(3)
    x = rng.standard_normal(300)

    def g(x):
        out = np.cos(x)
        out[123] *= 1.01
        return out
    r = gradcheck(lambda x: np.sum(np.sin(x)), x, g)
    assert r.status == "fail" and (r.entries[0].name, r.entries[0].index) == ("x", (123,))
    assert [e.index for e in r.failures if e.index is not None] == [(123,)]
    assert len(r.summary().splitlines()) <= 30
    f = lambda x: np.sum(np.sin(x))
    assert "2 x numeric" in gradcheck(f, x[:20], lambda x: 2 * np.cos(x)).kind
    assert "1/2" in gradcheck(lambda x: np.sum(x ** 2), x[:20], lambda x: x).kind
    assert "flipped sign" in gradcheck(f, x[:20], lambda x: -np.cos(x)).kind
    assert "zero" in gradcheck(f, x[:20], lambda x: np.where(np.arange(20) == 4, 0, np.cos(x))).kind
    W = rng.standard_normal((6, 6))
    v, y = rng.standard_normal(6), rng.standard_normal(6)
    r = gradcheck(lambda W: 0.5 * np.sum((W @ v - y) ** 2), W, lambda W: np.outer(v, W @ v - y))
    assert r.status == "fail" and "transpose" in r.kind


def test_group_testing_names_the_culprit_within_the_bound():
    n = 1 << 15
    rng = np.random.default_rng(1)
    x, c = rng.standard_normal(n), rng.uniform(0.5, 1.5, n)

    def g(x):
        out = c * np.cos(x)
        out[20011] *= 1.1
        return out
    r = gradcheck(lambda x: float(c @ np.sin(x)), x, g)
    assert r.status == "fail" and r.failures[0].index == (20011,)
    assert r.evals <= 64 + 40 * 15


def _term_noise(p):
    """Per-term pseudo-random errors in [-1, 1), a fixed function of each entry's bits: the
    rounding of a long float sum. Each index contributes the same pair of terms to
    f(x + t v) + f(x - t v) whatever the signs of v, so the even part of the noise is one draw
    shared by every random-sign direction (as measured for c @ sin(x) at n = 10^6)."""
    b = p.view(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    b ^= b >> np.uint64(29)
    b *= np.uint64(0xBF58476D1CE4E5B9)
    b ^= b >> np.uint64(32)
    return (b >> np.uint64(11)).astype(np.float64) / 2.0 ** 52 - 1.0


def test_noise_correlated_across_directions_is_measured():
    # from the even part alone the estimate fell 36x or more below the injected noise (to the
    # rounding floor) at some point in 7 of these 20 seeds: 6 correct gradients "failed"
    n, level = 100, 1e-12
    true_sigma = level * math.sqrt(n / 3)
    for seed in range(20):
        rng = np.random.default_rng(seed)
        x, c = rng.standard_normal(n), rng.uniform(0.5, 1.5, n)
        f = lambda x: float(c @ np.sin(x)) + level * float(np.sum(_term_noise(x)))
        r = gradcheck(f, x, lambda x: c * np.cos(x), seed=seed)
        assert r.status == "pass", (seed, r.summary())
        assert min(r.noise) > 0.2 * true_sigma and max(r.noise) < 5 * true_sigma, (seed, r.noise)
    r = gradcheck(f, x, lambda x: c * np.cos(x) * np.where(np.arange(n) == 7, 1.01, 1.0), seed=19)
    assert r.status == "fail" and r.failures[0].index == (7,)


def test_dict_params_wrong_shape_and_missing_key_fail():
    p = {"W": np.ones((2, 3)), "b": 0.5}
    f = lambda p: np.sum(p["W"] ** 2) * p["b"]
    ok = lambda p: {"W": 2 * p["W"] * p["b"], "b": np.sum(p["W"] ** 2)}
    assert gradcheck(f, p, ok).status == "pass"
    r = gradcheck(f, p, lambda p: {"W": (2 * p["W"] * p["b"]).T, "b": np.sum(p["W"] ** 2)})
    assert r.status == "fail" and "shape" in r.reason
    assert gradcheck(f, p, lambda p: {"W": 2 * p["W"]}).status == "fail"


def test_method_name_checks_our_autodiff():
    m = dc.models.get("softplus_chain", depth=2)
    assert dc.gradcheck(m, m.init(0), "autodiff").status == "pass"


def test_deterministic_and_seeded():
    f, g = (lambda x: np.sum(np.exp(0.1 * x))), (lambda x: 0.1 * np.exp(0.1 * x))
    x = np.arange(8.0)
    a, b = gradcheck(f, x, g, seed=5), gradcheck(f, x, g, seed=5)
    assert [e.numeric for e in a.entries] == [e.numeric for e in b.entries]
    assert [e.numeric for e in gradcheck(f, x, g, seed=6).entries] != [e.numeric for e in a.entries]


def test_assert_form_and_bad_input():
    with pytest.raises(GradcheckError) as ei:
        assert_gradcheck(lambda x: np.sum(x ** 2), np.ones(3), lambda x: x)
    assert isinstance(ei.value, AssertionError) and "FAIL" in str(ei.value)
    assert len(str(ei.value).splitlines()) <= 30
    with pytest.raises(GradcheckInputError, match="vjp= or jvp="):
        gradcheck(lambda x: x, np.ones(3), lambda x: x)         # non-scalar f with grad=
    with pytest.raises(GradcheckInputError):
        gradcheck(lambda x: 0.0, np.array([np.nan]), lambda x: x)
    with pytest.raises(GradcheckInputError):
        gradcheck(lambda x: 0.0, {"w": True}, lambda x: x)
    with pytest.raises(GradcheckInputError, match="SystemExit"):
        gradcheck(lambda x: np.sum(x), np.ones(2), lambda x: (_ for _ in ()).throw(SystemExit(0)))


def test_fixture(gradcheck):
    gradcheck(lambda x: np.sum(x ** 3), np.arange(1.0, 4.0), lambda x: 3 * x ** 2)
    with pytest.raises(AssertionError):
        gradcheck(lambda x: np.sum(x ** 3), np.arange(1.0, 4.0), lambda x: 2 * x ** 2)
    with pytest.raises(pytest.skip.Exception, match="inconclusive"):
        gradcheck(lambda x: np.sum(np.abs(x)), np.zeros(3), np.sign, points=1)


@pytest.mark.parametrize("kind, seed, n, dtype", [("kink-near", 2034, 20, "float64"), ("kink-near", 2027, 7, "float32"),
                                                  ("relu2-at-0", 2037, 7, "float32"), ("kink-near", 3034, 20, "float32"),
                                                  ("kink-near", 3034, 20, "float64"), ("relu2-at-0", 5004, 20, "float32"),
                                                  ("kink-near", 6051, 5, "float32"), ("relu2-at-0", 7048, 12, "float32")])
def test_a_direction_no_entry_confirms_is_not_a_failure(kind, seed, n, dtype):
    """Correct gradients that were once reported "fail" (seeds outside both suites): one random
    direction crossed several kinks at once (or met a noise fluke) while every entry, probed
    alone, agreed. Now inconclusive, the direction "unconfirmed" (or "kink", where its one-sided
    differences disagree at one step but not the next); the buggy twin still fails, named by
    its entries."""
    from diffcompare.gradcheck.suite import KINDS
    dt = np.dtype(dtype).type
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        f, p, g, gb, _ = KINDS[kind](np.random.default_rng([seed, sum(map(ord, kind))]), n, dt)
        res = gradcheck(f, p, grad=g)
        assert res.status == "inconclusive" and not res.failures
        assert {"unconfirmed", "kink"} & {e.verdict for e in res.entries if e.index is None}
        bug = gradcheck(f, p, grad=gb)
    assert bug.status == "fail" and any(e.index is not None for e in bug.failures)


def test_a_switch_of_the_second_derivative_below_the_window_is_judged_one_sided():
    """Huber loss, float32, a residual near its switch at a nearby point (seed 4052, outside both
    suites): the judged window looked smooth but the one below it converged at first order;
    judged central the correct gradient was reported "fail", judged one-sided it is not. The
    bug (clipping at 2 delta) still fails."""
    from diffcompare.gradcheck.suite import KINDS
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        f, p, g, gb, _ = KINDS["huber-switch"](np.random.default_rng([4052, sum(map(ord, "huber-switch"))]), 7,
                                               np.float32)
        assert gradcheck(f, p, grad=g).status != "fail"
        assert gradcheck(f, p, grad=gb).status == "fail"


def test_unconfirmed_names_its_reason():
    from diffcompare.gradcheck.suite import KINDS
    f, p, g, _, _ = KINDS["kink-near"](np.random.default_rng([3034, sum(map(ord, "kink-near"))]), 20, np.float64)
    res = gradcheck(f, p, grad=g)
    assert res.status == "inconclusive" and "no entry does on its own" in res.reason
    assert [e.verdict for e in res.entries][0] == "unconfirmed"          # shown first, before kinks


def test_a_one_sided_failure_must_hold_on_the_next_window():
    """Squared relu exactly at 0, float64 (seed 7019, outside both suites): one-sided
    differences disagreed with the correct gradient by 1.4x their bound at one step and agreed
    at the next -- a switch of f'' in the stencil, not a wrong gradient. The bug still fails."""
    from diffcompare.gradcheck.suite import KINDS
    f, p, g, gb, _ = KINDS["relu2-at-0"](np.random.default_rng([7019, sum(map(ord, "relu2-at-0"))]), 20, np.float64)
    assert gradcheck(f, p, grad=g).status != "fail"
    assert gradcheck(f, p, grad=gb).status == "fail"
