"""The Stability experiment: what each method returns where differentiation is hard, and why."""
import math

import pytest

from diffcompare.experiments import stability as st
from diffcompare.records import select


@pytest.fixture(scope="module")
def recs():
    return st.run(quick=True)


def test_hard_cases_of_finite_differences(recs):
    rel = {(r.model, r.method, r.extra.get("h_choice")): r.value for r in select(recs, metric=st.REL_ERROR)
           if r.extra["part"] == st.HARD_CASE}
    # cancellation: difference quotients return garbage, complex step and autodiff are exact
    assert rel[(st.CANCELLATION, "central", st.AUTO)] > 0.5
    assert rel[(st.CANCELLATION, "complex-step", st.AUTO)] < 1e-14 and rel[(st.CANCELLATION, "autodiff", st.AUTO)] < 1e-14
    # 1e8 offset: forward loses ~8 digits more; the complex step is untouched
    assert rel[(st.OFFSET, "forward", st.AUTO)] > 1e-3 and rel[(st.OFFSET, "complex-step", st.AUTO)] < 1e-14
    # float32: float64's step is worse in float32 than float32's own
    assert rel[(st.FLOAT32, "central", st.FLOAT64_AUTO)] > 10 * rel[(st.FLOAT32, "central", st.AUTO)]
    # kink: forward is right, central averages the two slopes, complex step refuses
    assert rel[(st.KINK, "forward", st.AUTO)] < 1e-12 and rel[(st.KINK, "central", st.AUTO)] > 0.5
    assert select(recs, model=st.KINK, method="complex-step", metric=st.REFUSED)
    assert all(r.reference for r in recs if r.metric == st.REL_ERROR)


def test_logistic_map_central_degrades_autodiff_does_not(recs):
    lm = {(r.method, r.extra["h_choice"], r.extra["n"]): r.value for r in recs if r.extra.get("part") == st.LOGISTIC}
    c = [lm[("central", st.FIXED, n)] for n in (4, 12, 20)]
    assert c[0] < c[1] < c[2] and c[2] > 1e-3
    assert all(lm[("autodiff", None, n)] < 1e-8 for n in (4, 12, 20))


def test_overflow_records_say_what_each_method_returns(recs):
    got = {(r.model.split(",")[0], r.method): r.value for r in recs if r.extra.get("part") == st.OVERFLOW
           and r.metric == st.RETURNED}
    assert all(r.extra["exact"] == pytest.approx(2.0) for r in recs if r.extra.get("part") == st.OVERFLOW)
    assert math.isnan(got[("overflow (float64", "autodiff")])      # 0 * inf in the chain rule
    assert math.isnan(got[("overflow (float64", "central")])       # inf - inf


def test_programs_not_differentiable_as_written(recs):
    got = {(r.model, r.method): r.value for r in select(recs, metric=st.RETURNED)
           if r.extra["part"] == st.NOT_DIFFERENTIABLE}
    assert got[(st.RELU_IDENTITY, "autodiff")] == 1.0                # ties split: right
    assert got[(st.MIN_RELU, "autodiff")] == 0.75                    # the function is x: 1
    assert got[(st.MIN_RELU, "symbolic")] == 1.0 and got[(st.MIN_RELU, "central")] == 1.0
    assert math.isnan(got[(st.SQRT_X4, "autodiff")])                 # inf * 0; the function is x**2: 0
    assert got[(st.SQRT_X4, "central")] == 0.0
    assert select(recs, model=st.MIN_RELU, method="complex-step", metric=st.REFUSED)


def test_the_stability_figure_draws(recs, tmp_path):
    from diffcompare.report.fig_fd import fig_stability
    from diffcompare.report.io import save_figure
    assert save_figure(fig_stability(recs), tmp_path / "s.png").stat().st_size > 1000
