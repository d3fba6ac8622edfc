"""The Speed experiment's records (counts and ratios; never a time asserted)."""
from diffcompare.experiments import speed
from diffcompare.records import select


def test_scaling_records_counts_and_sanity():
    recs = speed.scaling_records(quick=True, methods=("autodiff", "central", "nope"), hidden=(2, 3),
                                   cap_s=10.0)
    ns = sorted({r.extra["n"] for r in recs})
    assert ns == [19, 31]                                   # 6H + H^2 + 1
    for n in ns:
        ev = select(recs, method="central", metric="evals", setting=f"n={n}")
        assert [r.value for r in ev] == [2 * n + 1]          # 2 per coordinate + f(x) for the value
        err = select(recs, method="autodiff", metric="rel_error", setting=f"n={n}")[0]
        assert err.value < 1e-12 and err.reference == "autograd"
        ratio = select(recs, method="autodiff", metric="cost_ratio", setting=f"n={n}")[0]
        assert ratio.value > 0 and ratio.reference.startswith("one plain evaluation")
        t = select(recs, method="autodiff", metric="s_per_grad", setting=f"n={n}")[0]
        assert t.lo <= t.value <= t.hi and t.repeats == 3               # the spread is kept
    failed = select(recs, method="nope", metric="failed")
    assert len(failed) == 1 and "unknown method" in failed[0].value   # reported once, then dropped


def test_slow_methods_are_stopped_with_a_record():
    recs = speed.scaling_records(quick=True, methods=("central",), hidden=(2, 3), cap_s=1e-9)
    skipped = select(recs, method="central", metric="skipped")
    assert len(skipped) == 1 and skipped[0].value == 19 and skipped[0].extra["next_n"] == 31
    assert not select(recs, method="central", setting="n=31")
