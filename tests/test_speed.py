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


def test_steady_allocator_stops_the_heap_being_trimmed_and_refaulted_every_call():
    # glibc gives free memory at the top of the heap back to the system past its trim
    # threshold (128 KiB), and maps big blocks on their own: a call that frees ~1 MiB of
    # small arrays, or one 1 MiB array, then re-faults those pages on the next call.
    # steady_allocator keeps both in the heap: the page faults of the same loops drop from
    # hundreds per call to none. (In a fresh process: a long one's heap has holes.)
    import subprocess
    import sys

    script = """
import ctypes, resource, numpy as np
from diffcompare import timing
def faults_per_call(make, calls=40):
    def call():
        arrays = make()
        return sum(float(a[0]) for a in arrays)
    call()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(calls):
        call()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / calls
small = lambda: [np.ones(12_000) for _ in range(12)]      # 96 KB each: from the heap
big = lambda: [np.ones(131_072)]                          # 1 MiB: mapped on its own
libc = ctypes.CDLL(None)
assert libc.mallopt(timing._M_TRIM_THRESHOLD, 128 << 10) == 1     # glibc's default trim
before = faults_per_call(small)
assert libc.mallopt(timing._M_MMAP_THRESHOLD, 128 << 10) == 1     # ... and mapping threshold
before_big = faults_per_call(big)
assert timing.steady_allocator() is True
print(before, before_big, faults_per_call(small), faults_per_call(big))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    small, big, small_after, big_after = map(float, out.stdout.split())
    assert small >= 100 and big >= 100 and small_after <= 2 and big_after <= 2, out.stdout
