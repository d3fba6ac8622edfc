"""The check at each point: noise of f, the planned probes, the culprit search, the verdict.

Per point: f three times at x (run-to-run noise), differences of the even and the odd part
at tiny steps along a few probe directions (rounding noise, after Moré & Wild's ECnoise),
then the probes -- signed random directions over all params, one per param block, sampled
coordinates -- each judged by ``probe.judge``. A failing direction is narrowed down by group
testing: its support is bisected and each half probed, down to single entries (small
problems simply probe every coordinate). A failure no entry shows on its own must show again
(``Run.confirmed``): a direction crossing several kinks at once, or a noise fluke, is marked
"unconfirmed" and the check goes on. Then the status, with every entry the dtype cannot
resolve named.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from . import probe
from .result import Entry, GradcheckInputError, GradcheckResult, bug_kind, order_entries

__all__ = ["run"]

_SQRT70, _SQRT10 = math.sqrt(70.0), math.sqrt(10.0)
_CAL = 1.5                # sigma per unit of the median noise statistic (see _noise)
_ALL_COORDS = 64          # up to this many params, a failure probes every coordinate
_CULPRITS = 8             # entries the group testing names at most
_NOISE_VECS = 4
_CONFIRM = 2              # fresh directions tried before a failure no entry shows is dropped


class Evaluator:
    """phi at a flat vector: counts evaluations and enforces max_evals."""

    def __init__(self, target, layout, max_evals):
        self.t, self.L, self.max_evals, self.n = target, layout, max_evals, 0
        self.exact = all(dt == np.float64 for dt in layout.dtypes)

    def __call__(self, theta):
        if self.max_evals is not None and self.n >= self.max_evals:
            raise probe.OutOfEvals
        self.n += 1
        return self.t.evaluate(self.L.unflatten(theta))

    def quantize(self, theta):
        """theta as the params' dtypes hold it (float32 rounding), back in float64."""
        return theta if self.exact else self.L.flatten(self.L.unflatten(theta))


class Point:
    """Everything a probe needs about one point."""

    def __init__(self, ev, x, spec, tol, h0, hmax):
        self.evaluate, self.quantize = ev, ev.quantize
        self.x, self.lin, self.tol, self.h0, self.hmax = x, spec.lin, tol, h0, hmax
        self.spec = spec
        self.phi0, self.vec0 = ev(x)
        self.sigma, self.sigma_vec = 0.0, None

    def scale_of(self, v):
        """(S, A, a): the directional derivative's scale, its rounding, its analytic value."""
        a, avec = self.lin(v)
        g = self.spec.g
        if g is not None:
            gv = np.abs(g * v)
            return float(gv.sum()), 16 * float(gv @ self.spec.eps_g), a, None
        S = float(np.abs(self.evaluate.t.w) @ np.abs(avec))
        return S, 16 * self.evaluate.t.eps_out * S, a, avec


def _halves(r1, r2):
    """Noise at one step, from the rungs (t, 2t) of one direction: the 4th difference of the
    even part ``e(t) + e(-t)`` and the 3rd of the odd part ``e(t) - e(-t)`` (the part central
    differences see), each per unit sigma (scalars or arrays alike)."""
    (e1p, e1m), (e2p, e2m) = r1, r2
    return (np.abs(e2p + e2m - 4 * (e1p + e1m)) / _SQRT70,
            np.abs(e2p - e2m - 2 * (e1p - e1m)) / _SQRT10)


def _noise(pt, vecs, phi_rep, eps_out):
    """sigma of phi (and per output entry) from repeats, a rounding floor (in the coarser of
    the params' and the output's dtypes: float32 inputs round the result even when f returns
    float64) and differences at steps 16 and 256 times below the probes', where the h^3 and
    h^4 terms of f are still nil and a kink near the point is rarely crossed.

    Both halves of the ladder count, the larger of the two: rounding noise need not be white.
    In a long float sum (``c @ sin(x)`` over 10^6 terms) the even part ``e(t) + e(-t)`` comes
    out the same along every random-sign direction (each index adds the same pair of terms
    whatever the sign), so the four directions hold one draw of it, not four, and that draw
    may be 20x below the odd part -- which is what central differences see. A kink crossed
    inflates both halves, the more the larger the step: each direction keeps the smaller of
    its two steps, and none when the noise shrinks 8x or more from the larger step to the
    smaller (a kink at or very near the point). Judged on both halves together, a fluke of
    the shared even part cannot drop every direction at once."""
    floor = eps_out * abs(pt.phi0) + (max(phi_rep) - min(phi_rep))
    vfloor = None
    if pt.vec0 is not None:
        w = pt.evaluate.t.w
        floor = max(floor, eps_out * float(np.sqrt(np.sum((w * pt.vec0) ** 2))))
        vfloor = eps_out * np.abs(pt.vec0)
    stats, vstats = [], []
    for v in vecs:
        got, vgot = [], []
        for tau in (pt.h0 / 16, pt.h0 / 256):
            (e1p, e1m, _, v1), (e2p, e2m, _, v2) = (probe.Ladder(_Tiny(pt, tau), v).rung(k) for k in (0, 1))
            got.append(_halves((e1p, e1m), (e2p, e2m)))
            vgot.append(None if v1[0] is None else _halves(v1, v2))
        sizes = [max(e, o) for e, o in got]
        if sizes[0] > 8 * sizes[1]:
            continue
        k = int(np.argmin(sizes))
        stats.append(float(sizes[k]))
        if vgot[k] is not None:
            vstats.append(np.maximum(*vgot[k]))
    # for white noise the median of min over two steps of max(|z_even|, |z_odd|) is 0.74:
    # 1.5x it errs 10% high
    sigma = max(floor, _CAL * float(np.median(stats)) if stats else 0.0, np.finfo(float).tiny)
    svec = None
    if vfloor is not None and vstats and len(vstats) == len(stats):
        svec = np.maximum(vfloor, _CAL * np.median(np.array(vstats), axis=0)) + 1e-300
    elif vfloor is not None:
        svec = vfloor + 1e-300
    return sigma, svec


class _Tiny:
    """A point seen with a different base step (the noise ladders)."""

    def __init__(self, pt, h0):
        self.__dict__.update(pt.__dict__)
        self.h0 = h0


def _plan(L, rng, scale, directions, coords):
    vecs = []
    for _ in range(directions):
        vecs.append(("dir:all", None, rng.choice((-1.0, 1.0), L.n) * scale))
    for name, sl in zip(L.names, L.slices):
        m = sl.stop - sl.start
        if len(L.names) > 1 and m > 1:
            v = np.zeros(L.n)
            v[sl] = rng.choice((-1.0, 1.0), m) * scale[sl]
            vecs.append((f"dir:{name}", None, v))
        for k in sorted(rng.choice(m, size=min(coords, m), replace=False)):
            vecs.append(_coord(L, sl.start + int(k), scale))
    return vecs


def _coord(L, k, scale):
    v = np.zeros(L.n)
    v[k] = scale[k]
    name, idx = L.locate(k)
    return name, idx, v


class Run:
    """State of one check across points: the entries, resolution per entry, the outcome."""

    def __init__(self, target, L, ev, opts):
        self.t, self.L, self.ev, self.o = target, L, ev, opts
        self.entries, self.noise, self.steps = [], [], []
        self.res = np.full(L.n, math.inf)     # smallest error a probe could see, per entry
        self.out_of_evals = False
        self.partners = []
        self.problem = None
        self.whys = {}                        # verdict -> (first entry, why)
        self.g0 = None

    def probe(self, pt, ip, name, idx, v, output_table=False):
        S, A, a, avec = pt.scale_of(v)
        r = probe.judge(pt, v, a, S, A)
        r["avec"] = avec
        if r["verdict"] == "noise" and pt.spec.g is not None:
            r["verdict"] = "ok"          # judged per entry instead: see _unverified
        self.steps.append(r["h"])
        if r["verdict"] in ("ok", "FAIL") and math.isfinite(r["E"]):
            nz = np.flatnonzero(v)
            self.res[nz] = np.minimum(self.res[nz], r["E"] / np.abs(v[nz]))
        s = abs(float(v[np.flatnonzero(v)[0]])) if idx is not None else 1.0
        num = a + r["err"]
        rel = abs(r["err"]) / max(abs(a), abs(num), 1e-300) if math.isfinite(r["err"]) else math.inf
        self.entries.append(Entry(name, idx, ip, a / s, num / s, abs(r["err"]) / s, rel, r["E"] / s,
                                  r["h"], r["verdict"], rough=r["ladder"].rough))
        if r["verdict"] not in ("ok", "FAIL"):
            self.whys.setdefault(r["verdict"], (self.entries[-1].label(), r.get("why", "")))
        if output_table and r["verdict"] == "FAIL" and avec is not None:
            self._outputs(pt, ip, name, idx, r, s)
        return r

    def _outputs(self, pt, ip, name, idx, r, s):
        """jvp/hvp: the output entries that disagree along this probe, worst first."""
        L, j = r["ladder"], r["j"]
        h = L.h(j)
        vec = [L.rung(j + k)[3] for k in range(3)]
        c = [(ep - em) / (2 * h * 2 ** k) for k, (ep, em) in enumerate(vec)]
        R, Rb = (4 * c[0] - c[1]) / 3, (4 * c[1] - c[2]) / 3
        E = probe.SIGMAS * 0.95 * pt.sigma_vec / h + 2 * np.abs(R - Rb) / 15 + \
            16 * self.t.eps_out * np.abs(r["avec"])
        bad = np.flatnonzero(np.abs(R) > self.o["tol"] * E)
        for i in bad[np.argsort(-np.abs(R[bad]) / E[bad])][:_CULPRITS]:
            a = float(r["avec"][i])
            self.entries.append(Entry(name, idx, ip, a / s, (a + R[i]) / s, abs(R[i]) / s,
                                      abs(R[i]) / max(abs(a), abs(a + R[i]), 1e-300), E[i] / s, h,
                                      "FAIL", self.t.output_name(int(i))))

    def localize(self, pt, ip, v, scale):
        """Name the culprit entries behind a failing direction v."""
        support = np.flatnonzero(v)
        done = {(e.name, e.index) for e in self.entries if e.point == ip and e.index is not None}
        if support.size <= _ALL_COORDS or self.L.n <= _ALL_COORDS:
            for k in support:
                name, idx, cv = _coord(self.L, int(k), scale)
                if (name, idx) not in done:
                    self.probe(pt, ip, name, idx, cv)
            return
        stack, found = [support], 0
        while stack and found < _CULPRITS:
            idx = stack.pop()
            if idx.size == 1:
                found += 1
                continue
            halves = [idx[: idx.size // 2], idx[idx.size // 2:]]
            bad = []
            for part in halves:
                if part.size == 1:
                    name, ind, cv = _coord(self.L, int(part[0]), scale)
                    r = self.probe(pt, ip, name, ind, cv)
                else:
                    w = np.zeros_like(v)
                    w[part] = v[part]
                    r = probe.judge(pt, w, *_sak(pt, w))
                    self.steps.append(r["h"])
                if r["verdict"] == "FAIL":
                    bad.append((abs(r["err"]) / r["E"], part))
            if not bad:                              # the error is spread: name the group
                lo, hi = self.L.name(int(idx[0])), self.L.name(int(idx[-1]))
                self.entries.append(Entry(f"group {lo}..{hi}", None, ip, math.nan, math.nan, math.nan,
                                          math.nan, math.nan, 0.0, "FAIL"))
                found += 1
            stack.extend(p for _, p in sorted(bad, key=lambda b: b[0]))

    def confirmed(self, pt, ip, v, rng):
        """A direction (or group) failed, but did any entry fail on its own? If none did: when
        every entry was probed alone and either some of them sit next to a kink or (all ok)
        their bounds cannot add up to the direction's error, the direction's own stencil
        misjudged f (it crosses several kinks at once, which its test of smoothness cannot
        tell from a smooth f); otherwise the disagreement must show again along one of
        ``_CONFIRM`` fresh random-sign directions over the same entries -- an error in the
        gradient does (it is in the entries, whatever the signs), a noise fluke need not.
        Unconfirmed, the failures at this point are marked so (the status is inconclusive), and
        the probes go on."""
        mine = [e for e in self.entries if e.point == ip and e.verdict == "FAIL"]
        if any(e.index is not None for e in mine):
            return True
        support, tol = np.flatnonzero(v), self.o["tol"]
        # every entry of v judged ok alone bounds the directional error by sum |v_k| E_k; a
        # direction claiming more than that contradicts them: its own stencil misjudged f
        alone = {(e.name, e.index): e for e in self.entries if e.point == ip and e.index is not None and not e.output}
        ok = [alone.get(self.L.locate(int(k))) for k in support]
        bound = sum(abs(v[k]) * e.expected for k, e in zip(support, ok)) if all(
            e is not None and e.verdict == "ok" for e in ok) else math.inf
        failed = mine[0]
        # every entry probed alone, none failing, some next to a kink: the direction crosses it
        kinks = all(e is not None and e.verdict in ("ok", "kink") for e in ok) and \
            any(e.rough for e in ok)
        if not kinks and not failed.abs_error - tol * failed.expected > tol * bound:
            for _ in range(_CONFIRM):
                w = np.zeros_like(v)
                w[support] = rng.choice((-1.0, 1.0), support.size) * np.abs(v[support])
                if self.probe(pt, ip, "dir:confirm", None, w)["verdict"] == "FAIL":
                    return True
        ids = {id(e) for e in mine}
        self.entries = [dataclasses.replace(e, verdict="unconfirmed") if id(e) in ids else e for e in self.entries]
        self.whys.setdefault("unconfirmed", (failed.label(), "every entry agrees alone" + (
            ", some of them next to a kink the direction's stencil crosses" if kinks else
            f", bounding the error by {tol * bound:.2g}" if math.isfinite(bound) else
            f", and {_CONFIRM} fresh directions agree")))
        return False

    def transpose_partners(self, pt, ip, scale):
        """Probe the mirrored entry of the worst failing coordinates of 2-D params (and the
        neighbours in 1-D ones) to see whether the analytic values belong elsewhere."""
        fails = [e for e in self.entries if e.verdict == "FAIL" and e.index and e.point == ip and not e.output]
        fails = sorted(fails, key=lambda e: -e.ratio)[:3]
        known = {(e.name, e.index): e for e in self.entries if e.point == ip and e.index is not None
                 and e.verdict in ("ok", "FAIL") and not e.output}
        for e in fails:
            bi = self.L.names.index(e.name)
            shape = self.L.shapes[bi]
            cands = [tuple(reversed(e.index))] if len(shape) == 2 and shape[0] == shape[1] else \
                [(e.index[0] + d,) for d in (-1, 1)] if len(shape) == 1 else []
            for c in cands:
                if c == e.index or not all(0 <= c[i] < shape[i] for i in range(len(shape))):
                    continue
                if (e.name, c) not in known:
                    k = self.L.slices[bi].start + int(np.ravel_multi_index(c, shape))
                    name, ind, cv = _coord(self.L, k, scale)
                    self.probe(pt, ip, name, ind, cv)
                    known[(e.name, c)] = self.entries[-1]
                o = known[(e.name, c)]
                if abs(e.analytic - o.numeric) <= 4 * max(e.expected, o.expected) + 1e-6 * abs(o.numeric):
                    self.partners.append((e, o))
                    break


def _sak(pt, v):
    S, A, a, _ = pt.scale_of(v)
    return a, S, A


def run(target, L, params, theta0, *, seed, points, directions, coords, tol, radius, max_evals,
        method):
    rng = np.random.default_rng(seed)
    ev = Evaluator(target, L, max_evals)
    R = Run(target, L, ev, dict(tol=tol))
    scale = np.abs(theta0).copy()
    for sl in L.slices:
        blk = theta0[sl]
        rms = float(np.sqrt(np.mean(blk * blk))) if blk.size else 0.0
        scale[sl] = np.maximum(scale[sl], rms if rms > 0 else 1.0)
    eps_in = float(np.max(L.eps()))
    h0 = max(eps_in, target.eps_out) ** (1 / 3)
    pts = [theta0] + [ev.quantize(theta0 + radius * scale * rng.standard_normal(L.n)) for _ in range(points - 1)]
    why_inc, failed_at = [], None
    try:
        for ip, x in enumerate(pts):
            p = params if ip == 0 else L.unflatten(x)
            spec = target.at(p, rng)
            if spec.problem:
                R.problem = f"the {target.kind} result's structure is wrong: {spec.problem}"
                break
            if spec.g is not None and not np.all(np.isfinite(spec.g)):
                k = int(np.argmax(~np.isfinite(spec.g)))
                R.problem = f"{target.kind} is not finite at {L.name(k)} (point {ip})"
                break
            if ip == 0:
                R.g0 = spec.g
            pt = Point(ev, x, spec, tol, h0, 0.5)
            reps = [pt.phi0, ev(x)[0], ev(x)[0]]
            if not all(math.isfinite(r) for r in reps):
                if ip == 0:
                    raise GradcheckInputError(f"f is {reps[0]} at the given point: nothing to check there")
                why_inc.append(f"f is not finite at nearby point {ip}")
                continue
            vecs = _plan(L, rng, scale, directions, coords)
            try:
                pt.sigma, pt.sigma_vec = _noise(pt, [v for _, _, v in vecs[:_NOISE_VECS]], reps, max(eps_in, target.eps_out))
            except probe.NonFinite:
                why_inc.append(f"f is not finite right next to point {ip}")
                continue
            R.noise.append(pt.sigma)
            for name, idx, v in vecs:
                if idx is not None and any(e.point == ip and e.name == name and e.index == idx for e in R.entries):
                    continue                         # probed already, naming a direction's culprits
                r = R.probe(pt, ip, name, idx, v, output_table=target.kind in ("jvp", "hvp", "hess"))
                if r["verdict"] == "FAIL":
                    R.localize(pt, ip, v, scale)
                    if R.confirmed(pt, ip, v, rng):
                        failed_at = (pt, ip, v)
                        break
            if failed_at:
                if spec.g is not None:
                    R.transpose_partners(pt, ip, scale)
                break
    except probe.OutOfEvals:
        R.out_of_evals = True
    return _finish(R, target, L, method, seed, tol, len(pts), why_inc, max_evals)


def _unverified(R, spec_g, L):
    """Entries whose own size (or 1% of their block's rms) is below what the probes resolved."""
    if spec_g is None:
        return []
    g = np.abs(spec_g)
    rms_all = float(np.sqrt(np.mean(g * g))) if g.size else 0.0
    floor = np.empty(L.n)
    for sl in L.slices:
        floor[sl] = max(1e-2 * float(np.sqrt(np.mean(g[sl] ** 2))), 1e-6 * rms_all)
    bad = np.flatnonzero(R.res > 0.5 * np.maximum(g, floor))
    order = bad[np.argsort(-(R.res[bad] / np.maximum(g[bad], floor[bad])))]
    return [L.name(int(k)) for k in order[:50]] + ([f"({bad.size - 50} more)"] if bad.size > 50 else [])


_WHY = {"unconfirmed": "a direction disagreed, but no entry does on its own, and either their own bounds rule "
                       "the direction's error out or fresh directions over them agree (noise, or several "
                       "kinks within its stencil at once)",
        "kink": "f is not smooth within the stencil at any step tried (a kink of abs/relu/max at "
                "or very near the point)",
        "nonfinite": "f is not finite at a probed point",
        "noise": "the noise of f makes the numerical derivative too inexact to judge (its modelled "
                 "error exceeds half the derivative's size)",
        "underflow": "the step underflows: x + h v rounds back to x in the params' dtype"}


def _finish(R, target, L, method, seed, tol, npts, why_inc, max_evals):
    entries = order_entries(R.entries)
    fails = [e for e in entries if e.verdict == "FAIL"]
    unverified, kind = [], ""
    if R.problem:
        status, reason = "fail", R.problem
    elif fails:
        w = fails[0]
        status = "fail"
        reason = (f"{len(fails)} probe(s) disagree beyond the numerical error; worst {w.label()} at point "
                  f"{w.point}: analytic {w.analytic:.6g}, numeric {w.numeric:.6g} (expected error "
                  f"{w.expected:.1e})")
        kind = bug_kind(fails, R.partners)
    else:
        reasons = []
        for verdict, text in _WHY.items():
            if verdict in R.whys:
                k = sum(e.verdict == verdict for e in entries)
                label, why = R.whys[verdict]
                reasons.append(f"{text} [{k} probe(s), e.g. {label}: {why}]")
        reasons += why_inc
        if R.out_of_evals:
            reasons.append(f"max_evals={max_evals + 1} spent after {len(entries)} probe(s)")
        if not entries and not R.out_of_evals:
            reasons.append("no probe could be made")
        unverified = _unverified(R, R.g0, L)
        if unverified:
            dts = sorted({str(dt) for dt in L.dtypes})
            reasons.append(f"{len(unverified)} entr{'y' if len(unverified) == 1 else 'ies'} unverified: an error "
                           f"of their own size is below what finite differences resolve in {'/'.join(dts)} "
                           f"(e.g. {', '.join(unverified[:3])})")
        if reasons:
            status, reason = "inconclusive", "; ".join(reasons)
        else:
            worst = max((e.ratio for e in entries), default=0.0)
            status, reason = "pass", (f"{len(entries)} probes agree within the modelled numerical error "
                                      f"(worst at {worst:.2f} of it)")
    steps = (min(R.steps), max(R.steps)) if R.steps else (0.0, 0.0)
    return GradcheckResult(status, reason, entries, method, steps, L.n, R.ev.n, npts, seed, tol,
                           R.noise, unverified, kind, target.kind)
