"""One wrong entry among n = 10^6 (10% off): the culprit must be named within
64 + 40 log2(n) evaluations of f (group testing by bisection on a failing direction), and a
correct gradient at the same n must pass within 400 evaluations. Several seeds and culprit
positions; evaluations are counted by gradcheck itself (``res.evals``), time is reported
beside them.

    .venv/bin/python benchmarks/bench_gradcheck_scale.py [--n 1000000] [--trials 3]
"""
from __future__ import annotations

import argparse
import math
import time

import numpy as np

from diffcompare.gradcheck import gradcheck


def trial(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    c = rng.uniform(0.5, 1.5, n)
    k = int(rng.integers(n))
    f = lambda x: float(c @ np.sin(x))
    ok = lambda x: c * np.cos(x)

    def bad(x):
        g = ok(x)
        g[k] *= 1.1
        return g
    t0 = time.perf_counter()
    rb = gradcheck(f, x, grad=bad, seed=seed)
    t1 = time.perf_counter()
    rc = gradcheck(f, x, grad=ok, seed=seed)
    t2 = time.perf_counter()
    named = [e.index[0] for e in rb.failures if e.index is not None]
    return k, rb, rc, named, t1 - t0, t2 - t1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10 ** 6)
    ap.add_argument("--trials", type=int, default=3)
    a = ap.parse_args()
    bound = 64 + 40 * math.log2(a.n)
    print(f"n = {a.n}: bound to name the culprit {bound:.0f} evaluations; correct gradient: 400")
    for seed in range(a.trials):
        k, rb, rc, named, tb, tc = trial(a.n, seed)
        print(f"seed {seed}: wrong entry x[{k}] -> {rb.status}, named {named[:3]} "
              f"({'right' if named[:1] == [k] else 'WRONG'}), {rb.evals} evaluations "
              f"({'within' if rb.evals <= bound else 'OVER'} bound), {tb:.1f} s; "
              f"correct -> {rc.status}, {rc.evals} evaluations "
              f"({'within' if rc.evals <= 400 else 'OVER'} 400), {tc:.1f} s")


if __name__ == "__main__":
    main()
