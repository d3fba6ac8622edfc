"""How fast is our reverse-mode tracer? Ratios against autograd and hand-written backprop,
measured in ONE run (medians of repeated rounds), BLAS pinned to one thread.

    /work/venv/bin/python benchmarks/bench_autodiff.py [--json] [--quick]

W1  softplus chain, depth 10, gradient w.r.t. its 20 scalar params: microseconds per
    primitive op (time / tape length).             target: >= 10x faster than autograd
W2  MLP 2-16-16-1, sigmoid, L2, batch 64: time / hand-written numpy backprop. target <= 3x
W3  MLP 784-256-128-10, tanh, softmax CE, batch 256, float64: / hand-written. target <= 1.15x

Every timed gradient is first checked against the others (relative 1e-10), so a fast wrong
answer cannot win. ``ours`` and ``autograd`` are timed through the public ``dc.grad`` (the
GradFn wrapper included); ``ours (backend)`` is the bare ``tracer.make`` call, to show what
the wrapper costs.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

# Pin BLAS before numpy is imported (threadpoolctl below pins it again, if present).
for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import diffcompare as dc  # noqa: E402
from diffcompare import models, tracer  # noqa: E402
from diffcompare.compare import rel_error  # noqa: E402

try:  # noqa: E402
    from benchmarks.handwritten import for_model
except ImportError:  # run from inside benchmarks/
    from handwritten import for_model


def median_time(fn, arg, rounds=9, min_time=0.05):
    """Median seconds per call over ``rounds`` rounds, each at least ``min_time`` long."""
    fn(arg)
    loops = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(loops):
            fn(arg)
        if time.perf_counter() - t0 >= min_time or loops >= 1 << 20:
            break
        loops *= 2
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(loops):
            fn(arg)
        times.append((time.perf_counter() - t0) / loops)
    return float(np.median(times))


def _check(g, ref, what):
    if set(g) != set(ref):
        raise AssertionError(f"{what}: different params {sorted(g)} vs {sorted(ref)}")
    err = rel_error({k: g[k] for k in ref}, ref)
    if not err <= 1e-10:
        raise AssertionError(f"{what}: gradients disagree, relative error {err:.3e}")
    return err


def _backend(model, params):
    call = tracer.make(model, params)
    return lambda p: call(p)


def w1(rounds, min_time):
    m = models.get("softplus_chain", depth=10)
    p = m.params
    ours, ag = dc.grad(m), dc.grad(m, "autograd")
    n_ops = len(dc.trace(m, p))
    _check(ours(p), ag(p), "W1 ours vs autograd")
    t_ours = median_time(ours, p, rounds, min_time)
    t_back = median_time(_backend(m, p), p, rounds, min_time)
    t_ag = median_time(ag, p, rounds, min_time)
    us = lambda t: t / n_ops * 1e6
    return {"workload": "W1", "what": "softplus chain depth 10, 20 params", "tape_length": n_ops,
            "us_per_op": {"ours": us(t_ours), "ours_backend": us(t_back), "autograd": us(t_ag)},
            "speedup_vs_autograd": t_ag / t_ours, "target": ">= 10x faster than autograd"}


def _mlp(name, model, rounds, min_time, target):
    p = model.params
    hand = for_model(model)
    ours, ag = dc.grad(model), dc.grad(model, "autograd")
    v_hand, g_hand = hand(p)
    v_ours, g_ours = dc.value_and_grad(model)(p)
    if abs(v_ours - v_hand) > 1e-10 * max(1.0, abs(v_hand)):
        raise AssertionError(f"{name}: values disagree: {v_ours} vs hand-written {v_hand}")
    _check(g_ours, g_hand, f"{name} ours vs hand-written")
    _check(ag(p), g_hand, f"{name} autograd vs hand-written")
    t_hand = median_time(hand, p, rounds, min_time)
    t_ours = median_time(ours, p, rounds, min_time)
    t_back = median_time(_backend(model, p), p, rounds, min_time)
    t_ag = median_time(ag, p, rounds, min_time)
    return {"workload": name, "what": model.description, "tape_length": len(dc.trace(model, p)),
            "seconds": {"hand": t_hand, "ours": t_ours, "ours_backend": t_back, "autograd": t_ag},
            "ratio_to_hand": {"ours": t_ours / t_hand, "ours_backend": t_back / t_hand,
                              "autograd": t_ag / t_hand},
            "target": target}


def run(quick=False):
    rounds, min_time = (5, 0.02) if quick else (9, 0.1)
    out = {"python": sys.version.split()[0], "numpy": np.__version__, "blas_threads": None}
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
        limiter = threadpool_limits(limits=1)
        out["blas_threads"] = sorted({i["num_threads"] for i in threadpool_info()})
    except ImportError:
        limiter = None
        out["blas_threads"] = f"env OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}"
    try:
        out["results"] = [
            w1(rounds, min_time),
            _mlp("W2", models.get("mlp"), rounds, min_time, "<= 3x hand-written"),
            _mlp("W3", models.get("mlp", sizes=(784, 256, 128, 10), activation="tanh",
                                  loss="softmax_ce", batch=256), rounds, min_time,
                 "<= 1.15x hand-written"),
        ]
    finally:
        if limiter is not None:
            limiter.unregister() if hasattr(limiter, "unregister") else None
    return out


def table(out):
    r1, r2, r3 = out["results"]
    u = r1["us_per_op"]
    lines = [f"BLAS threads: {out['blas_threads']}; medians of repeated rounds",
             "",
             f"W1 {r1['what']} (tape {r1['tape_length']} ops)",
             f"   us/op  ours {u['ours']:.2f}   (backend {u['ours_backend']:.2f})   autograd {u['autograd']:.2f}",
             f"   ours is {r1['speedup_vs_autograd']:.1f}x faster than autograd   target {r1['target']}"]
    for r in (r2, r3):
        s, q = r["seconds"], r["ratio_to_hand"]
        lines += ["",
                  f"{r['workload']} {r['what']} (tape {r['tape_length']} ops)",
                  f"   hand-written {s['hand'] * 1e6:9.1f} us",
                  f"   ours         {s['ours'] * 1e6:9.1f} us   {q['ours']:.2f}x hand   "
                  f"(backend {q['ours_backend']:.2f}x)   target {r['target']}",
                  f"   autograd     {s['autograd'] * 1e6:9.1f} us   {q['autograd']:.2f}x hand"]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    ap.add_argument("--quick", action="store_true", help="fewer, shorter rounds")
    args = ap.parse_args(argv)
    out = run(quick=args.quick)
    print(json.dumps(out, indent=2) if args.json else table(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
