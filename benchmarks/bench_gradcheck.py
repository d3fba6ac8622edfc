"""Derivative checkers on the seeded-bug suites, in ONE run: for every family (gradients,
vjp/jvp, hvp/Hessians), dtype and suite (ours, and the held-out one never seen while tuning):
bugs caught (reported "fail" while the correct twin of the same case passes), false alarms
(correct derivatives reported "fail"), inconclusive verdicts, and unresolvable cases passed.
Peers (scipy.optimize.check_grad, autograd's check_grads) run with the settings of their docs
for the dtype (diffcompare.gradcheck.score.SETTINGS); torch is skipped when not installed.
Then the time of one gradcheck of n=1000 params for a cheap f (median of runs).

    .venv/bin/python benchmarks/bench_gradcheck.py [--quick]
"""
from __future__ import annotations

import sys
import warnings

import numpy as np

from diffcompare.gradcheck import gradcheck, score
from diffcompare.timing import measure


def table(quick=False):
    print(f"{'checker':22s} {'family':13s} {'dtype':8s} {'suite':9s} {'caught':>13s} {'false alarms':>13s} "
          f"{'inconcl. ok/bug':>15s} {'unresolv. passed':>16s}")
    suites = [("own", False)] if quick else [("own", False), ("held-out", True)]
    for sname, held in suites:
        for family in score.FAMILIES:
            for dtype in ("float64", "float32"):
                cs = score.cases(dtype, held, family)
                for name, chk in score.CHECKERS.items():
                    s = score.score(cs, chk)
                    if not s["bugs"] and not s["correct"]:
                        continue
                    rate = f"{s['caught']:3d}/{s['bugs']:<3d} {100 * s['caught'] / max(1, s['bugs']):5.1f}%"
                    unres = f"{s['unresolvable_passed']}/{s['unresolvable']}" if s["unresolvable"] else "-"
                    print(f"{name:22s} {family:13s} {dtype:8s} {sname:9s} {rate:>13s} "
                          f"{s['false_alarms']:5d}/{s['correct']:<5d}  {s['inconclusive_correct']:6d}/"
                          f"{s['inconclusive_bugs']:<6d}  {unres:>14s}")
                    if name == "diffcompare" and s["missed"]:
                        print("      missed:", ", ".join(f"{m['kind']}/s{m['seed']}:{m['status']}"
                                                        f"(twin {m['correct_status']})" for m in s["missed"]))
                if family != "second-order" and not score.torch_available():
                    print(f"{'torch.autograd.gradcheck':22s} {family:13s} {dtype:8s} {sname:9s} skipped: not installed")


def time_n1000():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(1000)
    c = rng.uniform(0.5, 1.5, 1000)
    f = lambda x: float(c @ np.sin(x))
    g = lambda x: c * np.cos(x)
    res = gradcheck(f, x, grad=g)
    t = measure(gradcheck, f, x, g, repeats=5)
    print(f"\nn=1000, f = c @ sin(x): median {t.median * 1e3:.1f} ms per gradcheck "
          f"(min {t.min * 1e3:.1f}, max {t.max * 1e3:.1f}), {res.evals} evaluations of f, status {res.status}")


if __name__ == "__main__":
    warnings.simplefilter("ignore", RuntimeWarning)     # the NaN-f cases warn, by design
    table(quick="--quick" in sys.argv)
    time_n1000()
