"""Our gradcheck on many more draws of the first-order kinds than either suite holds: false
alarms (a correct gradient reported "fail") and bugs not caught, per dtype and kind, over a
range of seeds never used while tuning (sizes cycle 3, 5, 7, 12, 20).

    .venv/bin/python benchmarks/bench_gradcheck_wide.py [--seeds 2000:2040] [--dtypes float32,float64]

Unresolvable (kind, dtype) pairs (suite.UNRESOLVABLE) count only as false alarms if reported
"fail"; their bugs are not counted. Each line of the output names the cases, so any one can be
rerun with ``gradcheck`` directly.
"""
from __future__ import annotations

import argparse
import collections
import sys
import warnings

import numpy as np

from diffcompare.gradcheck import score
from diffcompare.gradcheck.suite import KINDS, UNRESOLVABLE, Case

SIZES = (3, 5, 7, 12, 20)


def run(seeds, dtypes):
    alarms, missed = [], []
    correct, bugs = collections.Counter(), collections.Counter()
    for dtype in dtypes:
        dt = np.dtype(dtype).type
        for seed in seeds:
            n = SIZES[seed % len(SIZES)]
            for kind, maker in KINDS.items():
                f, p, g, gb, note = maker(np.random.default_rng([seed, sum(map(ord, kind))]), n, dt)
                resolvable = (kind, dtype) not in UNRESOLVABLE
                correct[dtype] += 1
                status = score.status_of(score.check_ours, Case(kind, "grad", f, p, {"grad": g}, False, dtype, seed,
                                                                note, resolvable))
                if status == "fail":
                    alarms.append((dtype, kind, seed, n))
                if gb is not None and resolvable:
                    bugs[dtype] += 1
                    status = score.status_of(score.check_ours, Case(kind, "grad", f, p, {"grad": gb}, True, dtype,
                                                                    seed, note, True))
                    if status != "fail":
                        missed.append((dtype, kind, seed, n, status))
    return correct, bugs, alarms, missed


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="2000:2040", help="a range lo:hi of seeds (default 2000:2040)")
    ap.add_argument("--dtypes", default="float32,float64")
    args = ap.parse_args(argv)
    lo, hi = (int(t) for t in args.seeds.split(":"))
    dtypes = args.dtypes.split(",")
    warnings.simplefilter("ignore", RuntimeWarning)      # the NaN-f cases warn, by design
    correct, bugs, alarms, missed = run(range(lo, hi), dtypes)
    print(f"seeds {lo}..{hi - 1}, {len(KINDS)} first-order kinds")
    for dt in dtypes:
        a = [x for x in alarms if x[0] == dt]
        m = [x for x in missed if x[0] == dt]
        print(f"{dt}: false alarms {len(a)}/{correct[dt]} ({100 * len(a) / correct[dt]:.2f}%), "
              f"bugs caught {bugs[dt] - len(m)}/{bugs[dt]} ({100 * (1 - len(m) / max(1, bugs[dt])):.2f}%)")
        for dtype, kind, seed, n in a:
            print(f"   false alarm: {kind} seed {seed} n {n}")
        for dtype, kind, seed, n, status in m:
            print(f"   not caught: {kind} seed {seed} n {n} ({status})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
