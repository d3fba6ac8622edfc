"""How fast is our reverse-mode tracer? Ratios against autograd and hand-written backprop,
measured in ONE run (medians of repeated rounds), BLAS pinned to one thread.

    /work/venv/bin/python benchmarks/bench_autodiff.py [--json] [--quick]

W1  softplus chain, depth 10, gradient w.r.t. its 20 scalar params: microseconds per
    primitive op (time / tape length).             target: >= 10x faster than autograd
W2  MLP 2-16-16-1, sigmoid, L2, batch 64: time / hand-written numpy backprop. target <= 3x
W3  MLP 784-256-128-10, tanh, softmax CE, batch 256, float64: / hand-written. target <= 1.15x

Within a round the contenders take turns, and a ratio is the median of per-round ratios, so
a busy machine slows them alike. Every timed gradient is first checked against the others (relative 1e-10), so a fast wrong
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


# CPU time of this process by default: on a shared machine the wall clock also counts the
# time other processes hold the core; on a quiet machine the two agree (--clock wall).
CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}


def _loops(fn, arg, min_time, clock):
    """How many calls make one timed round of at least ``min_time`` seconds."""
    fn(arg)
    loops = 1
    while True:
        t0 = clock()
        for _ in range(loops):
            fn(arg)
        if clock() - t0 >= min_time or loops >= 1 << 20:
            return loops
        loops *= 2


def interleaved(fns, arg, rounds=9, min_time=0.05, base=None, clock=time.process_time):
    """Seconds per call of each ``fns[name](arg)``: median over ``rounds`` rounds, the
    functions taking turns within a round so a busy machine slows them alike; and, with
    ``base``, each one's median per-round ratio to ``fns[base]``."""
    loops = {k: _loops(f, arg, min_time, clock) for k, f in fns.items()}
    times = {k: [] for k in fns}
    for _ in range(rounds):
        for k, f in fns.items():
            n = loops[k]
            t0 = clock()
            for _ in range(n):
                f(arg)
            times[k].append((clock() - t0) / n)
    med = {k: float(np.median(v)) for k, v in times.items()}
    if base is None:
        return med, None
    ratios = {k: float(np.median(np.array(v) / np.array(times[base]))) for k, v in times.items()}
    return med, ratios


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


def w1(rounds, min_time, clock):
    m = models.get("softplus_chain", depth=10)
    p = m.params
    ours, ag = dc.grad(m), dc.grad(m, "autograd")
    n_ops = len(dc.trace(m, p))
    _check(ours(p), ag(p), "W1 ours vs autograd")
    med, ratios = interleaved({"ours": ours, "ours_backend": _backend(m, p), "autograd": ag}, p,
                              rounds, min_time, base="ours", clock=clock)
    us = lambda t: t / n_ops * 1e6
    return {"workload": "W1", "what": "softplus chain depth 10, 20 params", "tape_length": n_ops,
            "us_per_op": {k: us(t) for k, t in med.items()},
            "speedup_vs_autograd": ratios["autograd"], "target": ">= 10x faster than autograd"}


def _mlp(name, model, rounds, min_time, target, clock):
    p = model.params
    hand = for_model(model)
    ours, ag = dc.grad(model), dc.grad(model, "autograd")
    v_hand, g_hand = hand(p)
    v_ours, g_ours = dc.value_and_grad(model)(p)
    if abs(v_ours - v_hand) > 1e-10 * max(1.0, abs(v_hand)):
        raise AssertionError(f"{name}: values disagree: {v_ours} vs hand-written {v_hand}")
    _check(g_ours, g_hand, f"{name} ours vs hand-written")
    _check(ag(p), g_hand, f"{name} autograd vs hand-written")
    med, ratios = interleaved({"hand": hand, "ours": ours, "ours_backend": _backend(model, p),
                               "autograd": ag}, p, rounds, min_time, base="hand", clock=clock)
    return {"workload": name, "what": model.description, "tape_length": len(dc.trace(model, p)),
            "seconds": med, "ratio_to_hand": {k: ratios[k] for k in ("ours", "ours_backend", "autograd")},
            "target": target}


def run(quick=False, clock_name="cpu"):
    clock = CLOCKS[clock_name]
    rounds, min_time = (5, 0.02) if quick else (15, 0.1)
    out = {"python": sys.version.split()[0], "numpy": np.__version__, "clock": clock_name,
           "blas_threads": None}
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
        limiter = threadpool_limits(limits=1)
        out["blas_threads"] = sorted({i["num_threads"] for i in threadpool_info()})
    except ImportError:
        limiter = None
        out["blas_threads"] = f"env OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}"
    try:
        out["results"] = [
            w1(rounds, min_time, clock),
            _mlp("W2", models.get("mlp"), rounds, min_time, "<= 3x hand-written", clock),
            _mlp("W3", models.get("mlp", sizes=(784, 256, 128, 10), activation="tanh",
                                  loss="softmax_ce", batch=256), rounds, min_time,
                 "<= 1.15x hand-written", clock),
        ]
    finally:
        if limiter is not None:
            limiter.unregister() if hasattr(limiter, "unregister") else None
    return out


def table(out):
    r1, r2, r3 = out["results"]
    u = r1["us_per_op"]
    lines = [f"BLAS threads: {out['blas_threads']}; {out['clock']} time, medians of interleaved rounds",
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
    ap.add_argument("--clock", choices=sorted(CLOCKS), default="cpu",
                    help="cpu: this process's CPU time (robust on a shared machine); wall")
    args = ap.parse_args(argv)
    out = run(quick=args.quick, clock_name=args.clock)
    print(json.dumps(out, indent=2) if args.json else table(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
