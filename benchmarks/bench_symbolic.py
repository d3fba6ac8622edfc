"""How fast is the symbolic method per call? SymEngine's Lambdify against SymPy's lambdify of
the same cse'd gradient, measured in ONE run (the contenders take turns within each round; a
ratio is the median of the per-round ratios, with its min and max).

    .venv/bin/python benchmarks/bench_symbolic.py [--json] [--rounds 9]

S1  the lecture's softplus chain, depth 40 (80 params, reverse-sweep engine): time per
    gradient call; target (issue 15): SymEngine >= 8x faster than lambdified SymPy.
S2  the width-2 chain, depth 8 (its d/dwa1 tree is 4e4 nodes, the DAG a few hundred).
S3  the MLP 2-16-16-1, batch 64 (337 params, per-sample columns).
Each is timed through the public ``dc.grad`` (the GradFn wrapper included) and as the bare
backend call (``symbolic.make(...)(params)``), to show what the wrapper costs. Setup (build,
differentiate, cse, compile) is reported apart; the gradients are checked against each other
(relative 1e-12) before anything is timed.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import diffcompare as dc  # noqa: E402
from diffcompare import models, symbolic  # noqa: E402
from diffcompare.compare import rel_error  # noqa: E402
from diffcompare.params import Layout  # noqa: E402
from diffcompare.timing import steady_allocator  # noqa: E402

CASES = {"S1": ("softplus_chain", {"depth": 40}), "S2": ("softplus_chain", {"depth": 8, "width": 2}),
         "S3": ("mlp", {})}
CONTENDERS = ("sympy", "symengine", "sympy backend", "symengine backend")


def _per_call(fn, params, loops):
    t0 = time.process_time()
    for _ in range(loops):
        fn(params)
    return (time.process_time() - t0) / loops


def run_case(name, opts, rounds):
    m = models.get(name, **opts)
    p = m.params
    fns, setup, kinds = {}, {}, {}
    for c in CONTENDERS[:2]:
        t0 = time.perf_counter()
        g = dc.grad(m, "symbolic", evaluator=c)
        g(p)
        setup[c], kinds[c], fns[c] = time.perf_counter() - t0, g.info["evaluator"], g
        fns[f"{c} backend"] = symbolic.make(m, p, evaluator=c)
    ref = fns["sympy"](p)
    err = rel_error(fns["symengine"](p), ref)
    assert err <= 1e-12, f"{name}: SymEngine's gradient differs from SymPy's by {err:.1e}"
    loops = {}
    for c, fn in fns.items():                   # each round at least ~20 ms per contender
        n = 1
        while _per_call(fn, p, n) * n < 0.02:
            n *= 4
        loops[c] = n
    times = {c: [] for c in CONTENDERS}
    for _ in range(rounds):
        for c, fn in fns.items():
            times[c].append(_per_call(fn, p, loops[c]))
    speedup = {}
    for key, (a, b) in (("grad", ("sympy", "symengine")), ("backend", ("sympy backend", "symengine backend"))):
        r = [x / y for x, y in zip(times[a], times[b])]
        speedup[key] = {"median": statistics.median(r), "min": min(r), "max": max(r), "rounds": rounds}
    return {"model": f"{name}{opts}", "params": Layout(p).n, "evaluators": kinds,
        "per_call_s": {c: statistics.median(t) for c, t in times.items()},
        "speedup": speedup,
        "setup_s": setup, "rel_diff": err}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    steady_allocator()          # every contender under the same allocator (timing.steady_allocator)
    out = {k: run_case(name, opts, args.rounds) for k, (name, opts) in CASES.items()}
    if args.json:
        print(json.dumps(out, indent=1))
        return
    for k, r in out.items():
        t, s, b = r["per_call_s"], r["speedup"]["grad"], r["speedup"]["backend"]
        print(f"{k} {r['model']} (n = {r['params']}), {r['evaluators']['symengine']} vs SymPy's lambdify: "
              f"dc.grad {t['symengine'] * 1e6:.1f} vs {t['sympy'] * 1e6:.1f} us/call = {s['median']:.1f}x "
              f"[{s['min']:.1f}-{s['max']:.1f}]; backend {t['symengine backend'] * 1e6:.1f} vs "
              f"{t['sympy backend'] * 1e6:.1f} us/call = {b['median']:.1f}x [{b['min']:.1f}-{b['max']:.1f}] "
              f"({s['rounds']} rounds); setup {r['setup_s']['symengine']:.2f} s vs {r['setup_s']['sympy']:.2f} s")


if __name__ == "__main__":
    main()
