"""What do second derivatives cost? Ratios measured in ONE run, the contenders interleaved
(they take turns within every round, so a busy machine slows them alike), CPU time of this
process, BLAS pinned to one thread; medians with [min-max] over the rounds.

    .venv/bin/python benchmarks/bench_hessian.py [--json] [--quick] [--rounds N] [--variants]

A  one Hessian-vector product (``dc.hvp``, forward-over-reverse on the one table) over one
   gradient (``dc.grad``, autodiff) on an MLP 2-32-32-1, sigmoid, L2, batch 64: n = 1185.
   target: HVP <= 3x one gradient (the ratio's median over rounds).
B  a full Hessian on the same model: ours (``dc.hessian``: n HVPs, up to 64 directions a sweep)
   against autograd's ``hessian`` and against central differences of our exact gradient
   (``central-grad``: 2n gradients) -- time, and error against autograd's Hessian.
   target: ours faster than both and within 1e-12 of autograd (the differences: their error shown).
Every timed result is checked first, so a fast wrong answer cannot win.
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
from diffcompare import models  # noqa: E402
from diffcompare.params import Layout  # noqa: E402
from diffcompare.timing import steady_allocator  # noqa: E402

HVP_TARGET = 3.0


def _loops(fn, min_time):
    fn()
    loops = 1
    while True:
        t0 = time.process_time()
        for _ in range(loops):
            fn()
        if time.process_time() - t0 >= min_time or loops >= 1 << 16:
            return loops
        loops *= 2


def interleaved(fns, rounds, min_time):
    """{name: [CPU seconds per call, one per round]}, the functions taking turns in a round."""
    loops = {k: _loops(f, min_time) for k, f in fns.items()}
    times = {k: [] for k in fns}
    for _ in range(rounds):
        for k, f in fns.items():
            n = loops[k]
            t0 = time.process_time()
            for _ in range(n):
                f()
            times[k].append((time.process_time() - t0) / n)
    return times


def spread(values):
    v = np.asarray(values, float)
    return {"median": float(np.median(v)), "min": float(v.min()), "max": float(v.max()), "rounds": len(v)}


def _rel(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


# --variants: other MLPs with n >= 1,000 beside the one the target is stated on
VARIANTS = ({"activation": "tanh"}, {"activation": "relu"}, {"sizes": (10, 30, 30, 1)}, {"sizes": (2, 64, 16, 1)},
            {"sizes": (4, 32, 32, 3), "loss": "softmax_ce"}, {"batch": 256},
            {"sizes": (64, 32, 10), "activation": "tanh", "loss": "softmax_ce", "batch": 128})


def part_a(sizes, rounds, min_time, **options):
    m = models.get("mlp", sizes=sizes, **options)
    p = m.params
    L = Layout(p)
    v = L.unflatten(np.random.default_rng(0).standard_normal(L.n))
    g, h = dc.grad(m), dc.hvp(m)
    ref = dc.hessian(m, "autograd")(p) @ L.flatten(v) if L.n <= 400 else None
    hv = L.flatten(h(p, v))
    if ref is not None and not _rel(hv, ref) <= 1e-12:
        raise AssertionError(f"the HVP disagrees with autograd's Hessian times v: {_rel(hv, ref):.3e}")
    t = interleaved({"gradient": lambda: g(p), "hvp": lambda: h(p, v)}, rounds, min_time)
    ratio = np.array(t["hvp"]) / np.array(t["gradient"])
    return {"model": f"{m.description}, batch {len(m.data['X'])}", "n": L.n, "gradient_s": spread(t["gradient"]),
            "hvp_s": spread(t["hvp"]),
            "ratio": spread(ratio), "target": HVP_TARGET, "holds": bool(np.median(ratio) <= HVP_TARGET)}


def part_b(sizes, rounds):
    m = models.get("mlp", sizes=sizes)
    p = m.params
    n = Layout(p).n
    fns = {"ours (n HVPs)": dc.hessian(m, "autodiff"), "autograd.hessian": dc.hessian(m, "autograd"),
           "central-grad (2n gradients)": dc.hessian(m, "central-grad")}
    H = {k: f(p) for k, f in fns.items()}
    ref = H["autograd.hessian"]
    errors = {k: _rel(v, ref) for k, v in H.items()}
    if not errors["ours (n HVPs)"] <= 1e-12:
        raise AssertionError(f"our Hessian disagrees with autograd's: {errors['ours (n HVPs)']:.3e}")
    t = interleaved({k: (lambda f=f: f(p)) for k, f in fns.items()}, rounds, 0.0)
    ours = np.array(t["ours (n HVPs)"])
    info = fns["ours (n HVPs)"].info
    out = {"model": m.description, "n": n, "sweeps": info.get("sweeps"), "directions": info.get("directions_per_sweep"),
           "contenders": {}}
    for k in fns:
        out["contenders"][k] = {"s": spread(t[k]), "over_ours": spread(np.array(t[k]) / ours),
                                "error_vs_autograd": errors[k]}
    faster = all(np.median(np.array(t[k]) / ours) > 1 for k in fns if not k.startswith("ours"))
    out["holds"] = bool(faster and errors["ours (n HVPs)"] <= 1e-12)
    return out


def _fmt_s(s):
    for unit, k in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if s >= k:
            return f"{s / k:.3g} {unit}"
    return f"{s * 1e9:.3g} ns"


def _cell(sp):
    return f"{_fmt_s(sp['median'])} [{_fmt_s(sp['min'])}-{_fmt_s(sp['max'])}]"


def report(a, b):
    lines = [f"A  {a['model']}, n = {a['n']}: CPU time per call, median [min-max] over {a['ratio']['rounds']} rounds",
             f"   gradient (dc.grad, autodiff)       {_cell(a['gradient_s'])}",
             f"   Hessian-vector product (dc.hvp)    {_cell(a['hvp_s'])}",
             f"   HVP / gradient                     {a['ratio']['median']:.2f}x [{a['ratio']['min']:.2f}-"
             f"{a['ratio']['max']:.2f}]   target <= {a['target']:g}x: {'holds' if a['holds'] else 'DOES NOT HOLD'}",
             "", f"B  full Hessian, {b['model']}, n = {b['n']} (ours: {b['sweeps']} sweeps of {b['directions']} directions)",
             f"   {'contender':30} {'CPU time per Hessian':32} {'/ ours':18} error vs autograd"]
    for k, c in b["contenders"].items():
        o = c["over_ours"]
        lines.append(f"   {k:30} {_cell(c['s']):32} {o['median']:6.2f}x [{o['min']:.2f}-{o['max']:.2f}]  "
                     f"{c['error_vs_autograd']:.1e}")
    lines.append(f"   target: ours faster than both, exact to 1e-12: {'holds' if b['holds'] else 'DOES NOT HOLD'}")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--quick", action="store_true", help="smaller models and fewer rounds (a smoke test)")
    ap.add_argument("--rounds", type=int, default=None)
    ap.add_argument("--variants", action="store_true",
                    help="also part A on other MLPs with n >= 1,000 (tanh, relu, other sizes, softmax, batch)")
    args = ap.parse_args(argv)
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(1)
    except ImportError:
        pass
    steady_allocator()          # every contender under the same allocator (timing.steady_allocator)
    sizes_a, sizes_b = ((2, 8, 8, 1), (2, 4, 4, 1)) if args.quick else ((2, 32, 32, 1), (2, 32, 32, 1))
    rounds = args.rounds or (3 if args.quick else 21)
    a = part_a(sizes_a, rounds, 0.01 if args.quick else 0.05)
    b = part_b(sizes_b, 2 if args.quick else 5)
    variants = []
    for options in (VARIANTS if args.variants else ()):
        options = dict({"sizes": sizes_a}, **options)
        variants.append(part_a(options.pop("sizes"), rounds, 0.01 if args.quick else 0.05, **options))
    if args.json:
        print(json.dumps({"hvp": a, "hessian": b, "variants": variants, "clock": "process_time", "blas_threads": 1},
                         indent=1))
    else:
        print(report(a, b))
        if variants:
            print("\nA' HVP / gradient on other MLPs (the same measurement; the target is stated on A's MLP)")
            for v in variants:
                r = v["ratio"]
                print(f"   {v['model'] + ',':62} n = {v['n']:5}  {r['median']:.2f}x [{r['min']:.2f}-{r['max']:.2f}]  "
                      f"{'<=' if v['holds'] else '> '} {v['target']:g}x")
    return 0 if a["holds"] and b["holds"] else 1


if __name__ == "__main__":
    sys.exit(main())
