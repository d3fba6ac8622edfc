"""Gradient checkers on the seeded-bug suite, in ONE run: detection (bugs reported "fail")
and false alarms (correct gradients reported "fail") for diffcompare.gradcheck,
scipy.optimize.check_grad and autograd.test_util.check_grads (torch.autograd.gradcheck is
skipped when torch is not importable), float64 and float32, our suite and the held-out one.
Then the time of one gradcheck of n=1000 params for a cheap f (median of runs; target 0.1 s).

    /work/venv/bin/python benchmarks/bench_gradcheck.py [--quick]
"""
from __future__ import annotations

import sys
import time

import numpy as np

from diffcompare import bugsuite  # noqa: E402
from diffcompare.gradcheck import gradcheck  # noqa: E402


def time_n1000(repeats=7):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(1000)
    c = rng.uniform(0.5, 1.5, 1000)
    f = lambda x: float(c @ np.sin(x))
    g = lambda x: c * np.cos(x)
    ts, res = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        res = gradcheck(f, x, g)
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts)), res


def main(quick=False):
    print("checker                  dtype    suite     caught      false alarms  inconclusive(correct)")
    suites = [("own", False)] if quick else [("own", False), ("held-out", True)]
    for sname, held in suites:
        for dtype in ("float64", "float32"):
            cases = bugsuite.suite(dtype, heldout=held)
            for name, chk in bugsuite.CHECKERS.items():
                s = bugsuite.score(cases, chk)
                print(f"{name:24s} {dtype:8s} {sname:9s} {s['caught']:3d}/{s['bugs']:<3d} "
                      f"{100 * s['caught'] / s['bugs']:5.1f}%  {s['false_alarms']:3d}/{s['correct']:<3d}"
                      f"       {s['inconclusive_correct']}")
                if name == "diffcompare" and s["missed"]:
                    print("    missed:", ", ".join(s["missed"]))
            if not bugsuite.torch_available():
                print(f"{'torch.autograd.gradcheck':24s} {dtype:8s} {sname:9s} skipped: torch is not installed")
    t, res = time_n1000()
    print(f"\nn=1000, f = c @ sin(x): median {t * 1e3:.1f} ms per gradcheck (target <= 100 ms), "
          f"{res.evals} evaluations of f, status {res.status}")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
