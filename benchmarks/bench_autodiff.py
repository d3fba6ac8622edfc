"""How fast is our reverse-mode tracer? Ratios against autograd and hand-written backprop,
measured in ONE run (medians of repeated rounds), BLAS pinned to one thread.

    /work/venv/bin/python benchmarks/bench_autodiff.py [--json] [--quick]

W1  softplus chain, depth 10, gradient w.r.t. its 20 scalar params: microseconds per
    primitive op (time / tape length), and time / hand-written backprop on floats.
    targets: eager >= 10x faster than autograd and <= 1.0 us/op; compiled <= 1.5x hand
W2  MLP 2-16-16-1, sigmoid, L2, batch 64: time / hand-written numpy backprop.
    targets: eager <= 1.7x, compiled <= 1.1x
W3  MLP 784-256-128-10, tanh, softmax CE, batch 256, float64: / hand-written.
    targets: eager <= 1.15x, compiled <= 1.05x
D   the eager per-op cost at depth 10,000 over depth 10 (target <= 1.2), and the compiled
    method's code generation (emit + compile) at 500 ops (target <= 20 ms) and at 100,000.
jax.jit is timed beside them when JAX is installed (its compile time too); it is not here.

Within a round the contenders take turns, and a ratio is the median of per-round ratios, so
a busy machine slows them alike. Every timed gradient is first checked against the others (relative 1e-10), so a fast wrong
answer cannot win. ``ours`` and ``autograd`` are timed through the public ``dc.grad`` (the
GradFn wrapper included); ``ours (backend)`` is the bare ``tracer.make`` call, to show what
the wrapper costs.
"""
from __future__ import annotations

import argparse
import gc
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
from diffcompare.timing import steady_allocator  # noqa: E402

try:  # noqa: E402
    from benchmarks import jax_peer
    from benchmarks.handwritten import for_model
except ImportError:  # run from inside benchmarks/
    import jax_peer
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
    ``base``, each one's median per-round ratio to ``fns[base]``; and the spread (min, max
    over the rounds) of both."""
    loops = {k: _loops(f, arg, min_time, clock) for k, f in fns.items()}
    times = {k: [] for k in fns}
    for _ in range(rounds):
        for k, f in fns.items():
            n = loops[k]
            gc.collect()            # another contender's cyclic garbage is not ours to time
            t0 = clock()
            for _ in range(n):
                f(arg)
            times[k].append((clock() - t0) / n)
    med = {k: float(np.median(v)) for k, v in times.items()}
    spread = {"seconds": {k: [float(np.min(v)), float(np.max(v))] for k, v in times.items()}}
    if base is None:
        return med, None, spread
    per_round = {k: np.array(v) / np.array(times[base]) for k, v in times.items()}
    spread["ratio"] = {k: [float(r.min()), float(r.max())] for k, r in per_round.items()}
    return med, {k: float(np.median(r)) for k, r in per_round.items()}, spread


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


JAX_COMPILE = {}          # workload -> jax.jit's compile time (its first call), seconds


def _contenders(model, p, hand):
    ours, comp, ag = dc.grad(model), dc.grad(model, "autodiff-compiled"), dc.grad(model, "autograd")
    fns = {"hand": hand, "ours": ours, "ours_backend": _backend(model, p), "compiled": comp, "autograd": ag}
    if jax_peer.available():
        fns["jax.jit"], JAX_COMPILE[model.name] = jax_peer.jitted(model, p)
    ref = hand(p)[1]
    for what, fn in fns.items():
        if what not in ("hand", "ours_backend"):
            out = fn(p)
            _check(out[1] if isinstance(out, tuple) else out, ref, f"{model.name}: {what} vs hand-written")
    return fns


def w1(rounds, min_time, clock):
    m = models.get("softplus_chain", depth=10)
    p = m.params
    n_ops = len(dc.trace(m, p))
    fns = _contenders(m, p, for_model(m))
    med, ratios, spread = interleaved(fns, p, rounds, min_time, base="hand", clock=clock)
    us = lambda t: t / n_ops * 1e6
    return {"workload": "W1", "what": "softplus chain depth 10, 20 params", "tape_length": n_ops,
            "us_per_op": {k: us(t) for k, t in med.items()}, "ratio_to_hand": ratios,
            "us_per_op_spread": {k: [us(a), us(b)] for k, (a, b) in spread["seconds"].items()},
            "ratio_spread": spread["ratio"],
            "speedup_vs_autograd": med["autograd"] / med["ours"],
            "target": "eager >= 10x faster than autograd, <= 1.0 us/op; compiled <= 1.5x hand"}


def depth_and_codegen(rounds, min_time, clock):
    """Eager us/op at chain depth 10 and 10,000; the compiled method's emit + compile."""
    from diffcompare import compiled
    out = {}
    for d in (10, 10_000):
        m = models.get("softplus_chain", depth=d)
        g = dc.grad(m)
        med, _, spread = interleaved({"ours": g}, m.params, max(3, rounds // 3), min_time, clock=clock)
        n = len(dc.trace(m, m.params))
        out[f"us_per_op_depth_{d}"] = med["ours"] / n * 1e6
        out[f"us_per_op_depth_{d}_spread"] = [t / n * 1e6 for t in spread["seconds"]["ours"]]
    out["depth_ratio"] = out["us_per_op_depth_10000"] / out["us_per_op_depth_10"]
    for n_ops in (500, 100_000):
        def chain(p, xp, n=n_ops // 2):
            v = p["x"]
            for _ in range(n):
                v = v * 1.0000001 + 0.0
            return v
        tape = tracer.record(chain, {"x": 1.0})
        prog = compiled.emit(tape, {"x": 1.0})
        v, g = prog.fn({"x": 1.0})
        out[f"codegen_ms_{n_ops}"] = (prog.emit_s + prog.compile_s) * 1e3
        out[f"runs_{n_ops}"] = abs(g["x"] - 1.0000001 ** (n_ops // 2)) < 1e-9
    return out


def _mlp(name, model, rounds, min_time, target, clock):
    p = model.params
    hand = for_model(model)
    v_hand, g_hand = hand(p)
    v_ours, g_ours = dc.value_and_grad(model)(p)
    if abs(v_ours - v_hand) > 1e-10 * max(1.0, abs(v_hand)):
        raise AssertionError(f"{name}: values disagree: {v_ours} vs hand-written {v_hand}")
    med, ratios, spread = interleaved(_contenders(model, p, hand), p, rounds, min_time, base="hand", clock=clock)
    return {"workload": name, "what": model.description, "tape_length": len(dc.trace(model, p)),
            "seconds": med, "ratio_to_hand": ratios, "seconds_spread": spread["seconds"],
            "ratio_spread": spread["ratio"], "target": target}


def run(quick=False, clock_name="cpu"):
    clock = CLOCKS[clock_name]
    rounds, min_time = (5, 0.02) if quick else (15, 0.1)
    out = {"python": sys.version.split()[0], "numpy": np.__version__, "clock": clock_name,
           "blas_threads": None, "steady_allocator": steady_allocator()}
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
            _mlp("W2", models.get("mlp"), rounds, min_time, "eager <= 1.7x, compiled <= 1.1x hand", clock),
            _mlp("W3", models.get("mlp", sizes=(784, 256, 128, 10), activation="tanh",
                                  loss="softmax_ce", batch=256), rounds, min_time,
                 "eager <= 1.15x, compiled <= 1.05x hand", clock),
        ]
        out["depth_and_codegen"] = depth_and_codegen(rounds, min_time, clock)
        out["jax"] = ("not installed: jax.jit not measured" if not jax_peer.available() else
                      "jax.jit compile (first call): " + ", ".join(f"{k} {v * 1e3:.0f} ms" for k, v in JAX_COMPILE.items()))
    finally:
        if limiter is not None:
            limiter.unregister() if hasattr(limiter, "unregister") else None
    return out


def table(out):
    r1, r2, r3 = out["results"]
    u, us, q1, qs = r1["us_per_op"], r1["us_per_op_spread"], r1["ratio_to_hand"], r1["ratio_spread"]
    span = lambda lo_hi, f: f"[{lo_hi[0]:{f}}-{lo_hi[1]:{f}}]"
    lines = [f"BLAS threads: {out['blas_threads']}; {out['clock']} time, medians [min-max] of interleaved rounds; "
             f"heap kept, not trimmed after each call: {out['steady_allocator']} (timing.steady_allocator)",
             "",
             f"W1 {r1['what']} (tape {r1['tape_length']} ops)   target {r1['target']}   (us per op)"]
    for k, label in (("hand", "hand-written"), ("compiled", "compiled"), ("ours", "ours (eager)"),
                     ("ours_backend", "  its backend"), ("autograd", "autograd"), ("jax.jit", "jax.jit")):
        if k in u:
            lines.append(f"   {label:<13} {u[k]:7.3f} {span(us[k], '.3f'):<15} {q1[k]:6.2f}x hand {span(qs[k], '.2f')}")
    lines.append(f"   ours (eager) is {r1['speedup_vs_autograd']:.1f}x faster than autograd")
    for r in (r2, r3):
        s, ss, q, qs = r["seconds"], r["seconds_spread"], r["ratio_to_hand"], r["ratio_spread"]
        lines += ["", f"{r['workload']} {r['what']} (tape {r['tape_length']} ops)   target {r['target']}   (us per call)"]
        for k, label in (("hand", "hand-written"), ("compiled", "compiled"), ("ours", "ours (eager)"),
                         ("ours_backend", "  its backend"), ("autograd", "autograd"), ("jax.jit", "jax.jit")):
            if k in s:
                lines.append(f"   {label:<13} {s[k] * 1e6:9.1f} [{ss[k][0] * 1e6:.1f}-{ss[k][1] * 1e6:.1f}]"
                             f"   {q[k]:6.2f}x hand {span(qs[k], '.2f')}")
    d = out["depth_and_codegen"]
    lines += ["",
              f"D  eager us/op: depth 10 {d['us_per_op_depth_10']:.2f} {span(d['us_per_op_depth_10_spread'], '.2f')}, "
              f"depth 10,000 {d['us_per_op_depth_10000']:.2f} {span(d['us_per_op_depth_10000_spread'], '.2f')} "
              f"(ratio {d['depth_ratio']:.2f}, target <= 1.2)",
              f"   compiled code generation: {d['codegen_ms_500']:.1f} ms at 500 ops (target <= 20), "
              f"{d['codegen_ms_100000'] / 1e3:.1f} s at 100,000 ops (runs: {d['runs_100000']})",
              f"   {out['jax']}"]
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
