"""diffcompare fd: the step sweep of finite differences on one model parameter, with the
error model, printed as a table and drawn as the V-curve."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from .. import numerical as nm
from ..errors import BadOptionError, UnknownNameError
from ._common import add_model_arguments, model_from_args

SECOND_SCHEMES = ("central", "central-grad", "richardson", "richardson-grad")   # hessian's difference schemes

HELP = "sweep finite-difference step sizes on one parameter: error vs h with the error model (V-curve)"


def add_arguments(p):
    add_model_arguments(p)
    p.add_argument("--wrt", default=None, help="parameter to differentiate (default: the first)")
    p.add_argument("--index", default="", help="entry of an array parameter, e.g. 0,1")
    p.add_argument("--order", type=int, default=1, choices=(1, 2),
                   help="2: the Hessian entry d2f / d(wrt) d(wrt2) by the second-derivative schemes")
    p.add_argument("--wrt2", default=None, help="--order 2: the second parameter (default: --wrt)")
    p.add_argument("--index2", default=None, help="--order 2: its entry (default: --index)")
    p.add_argument("--scheme", default=None,
                   help=f"comma-separated schemes (default: all of {', '.join(nm.SCHEMES)}; --order 2: "
                        f"{', '.join(SECOND_SCHEMES)})")
    p.add_argument("--dtype", default="float64", choices=("float64", "float32"))
    p.add_argument("--hmax", type=float, default=None, help="largest step (default 1e-1; --order 2: 1)")
    p.add_argument("--hmin", type=float, default=None, help="smallest step (default 1e-16; --order 2: 1e-12)")
    p.add_argument("--per-decade", type=int, default=4, help="steps per decade")
    p.add_argument("--json", action="store_true", help="print the records as JSON")
    p.add_argument("--out", default=".", help="directory for the V-curve PNG (default: .)")
    p.add_argument("--no-plot", action="store_true", help="do not write the PNG")


def _parse(args):
    from ..stepsweep import default_hs
    known = SECOND_SCHEMES if args.order == 2 else nm.SCHEMES
    schemes = [s.strip() for s in (args.scheme or ",".join(known)).split(",") if s.strip()]
    for s in schemes:
        if s not in known:
            raise UnknownNameError(f"unknown scheme {s!r}; known: {', '.join(known)}")
    if args.per_decade < 1:
        raise BadOptionError(f"--per-decade must be >= 1, got {args.per_decade}")
    hmax, hmin = (1.0, 1e-12) if args.order == 2 else (1e-1, 1e-16)
    hs = default_hs(hmax if args.hmax is None else args.hmax, hmin if args.hmin is None else args.hmin,
                    args.per_decade)
    model = model_from_args(args)
    params = nm.as_dtype(model.params, args.dtype)
    wrt, index = _entry(model, params, args.wrt or next(iter(params)), args.index, "--index")
    return model, params, wrt, index, schemes, hs


def _entry(model, params, wrt, text, flag):
    if wrt not in params:
        raise UnknownNameError(f"model {model.name} has no parameter {wrt!r}; it has {', '.join(params)}")
    index = ()
    if isinstance(params[wrt], np.ndarray):
        try:
            index = tuple(int(t) for t in text.split(",")) if text else (0,) * params[wrt].ndim
            params[wrt][index]
        except (ValueError, IndexError):
            raise BadOptionError(f"{flag} {text!r} is not an entry of {wrt} (shape {params[wrt].shape})") from None
        if len(index) != params[wrt].ndim:
            raise BadOptionError(f"{flag} needs {params[wrt].ndim} integers for {wrt} (shape {params[wrt].shape})")
    return wrt, index


def run(args):
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from ..records import to_json
    from ..stepsweep import sweep, sweep_to_records

    model, params, wrt, index, schemes, hs = _parse(args)
    if args.order == 2:
        return _second(args, model, params, wrt, index, schemes, hs)
    with Progress(console=Console(file=sys.stderr), transient=True) as bar:
        task = bar.add_task("sweeping steps", total=len(schemes))
        sw = sweep(model, params, wrt, index, schemes, hs, model_name=model.name,
                   progress=lambda done, total: bar.update(task, completed=done))
    records = sweep_to_records(sw)
    png = None
    if not args.no_plot:
        from ..report.fig_fd import fig_vcurve
        from ..report.io import save_figure
        tag = f"{model.name}_{wrt}{''.join(f'_{i}' for i in index)}_{sw.dtype}"
        png = save_figure(fig_vcurve(records), Path(args.out) / f"fd_{tag}.png")
    if args.json:
        print(to_json(records, model=repr(model), wrt=wrt, index=list(index), png=str(png) if png else None))
        return 0
    con = Console(width=None if sys.stdout.isatty() else 160)
    where = f"{wrt}{list(index) if index else ''} = {sw.x0:.6g}"
    t = Table(title=f"{model.description} ({sw.dtype}): |error| of d/d{wrt} at {where}, "
                    f"RMS over steps in [h, 1.1h); reference: {sw.reference}; exact {sw.exact[1]:.16g}")
    t.add_column("h", justify="right")
    for s in schemes:
        t.add_column(s, justify="right")
    for i, h in enumerate(sw.hs):
        t.add_row(f"{h:.1e}", *[_fmt(sw.errors[s][i]) for s in schemes])
    con.print(t)
    s2 = Table(title="best measured, error model optimum, automatic step")
    for col in ("scheme", "order p", "slope", "best error", "at h", "model E*", "model h*",
                "auto h", "auto error", "evals/coord"):
        s2.add_column(col, justify="left" if col == "scheme" else "right")
    for s in schemes:
        bh, be = sw.best(s)
        ho, eo = sw.theory[s]
        ah, ae = sw.auto[s]
        sl = sw.slopes[s]
        s2.add_row(s, str(nm.order(s)), "-" if sl is None else f"{sl:.2f}", _fmt(be), f"{bh:.1e}",
                   _fmt(eo), f"{ho:.1e}", f"{ah:.1e}", _fmt(ae), str(nm.evals_per_coordinate(s)))
    con.print(s2)
    if png:
        con.print(f"V-curve written to {png}")
    return 0


def _fmt(v):
    return "-" if not np.isfinite(v) else f"{v:.2e}"


def _second(args, model, params, wrt, index, schemes, hs):
    """--order 2: the V-curve of one Hessian entry (``experiments.second_order_sweep``)."""
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import Progress
    from rich.table import Table

    from ..experiments import second_order_sweep as sw
    from ..experiments.accuracy import cast
    from ..params import Layout
    from ..records import to_json
    wrt2, index2 = _entry(model, params, args.wrt2 or wrt, _index_text(index) if args.index2 is None and
                          (args.wrt2 or wrt) == wrt else args.index2 or "", "--index2")
    L = Layout(params)
    i, j = (L.slices[L.names.index(w)].start + (int(np.ravel_multi_index(x, np.shape(params[w]))) if x else 0)
            for w, x in ((wrt, index), (wrt2, index2)))
    model, params = cast(model, model.params, args.dtype)        # the model's data in the dtype too
    with Progress(console=Console(file=sys.stderr), transient=True) as bar:
        task = bar.add_task("sweeping steps", total=len(schemes))
        recs = sw.entry_sweep(model, params, min(i, j), max(i, j), schemes, hs, name=model.name,
                              progress=lambda what, done, total: bar.update(task, completed=done))
    entry = recs[0].extra["entry"]
    png = None
    if not args.no_plot:
        from ..report.fig_second import fig_vcurves
        from ..report.io import save_figure
        tag = "_".join("".join(c if c.isalnum() else " " for c in f"{model.name} {entry} {args.dtype}").split())
        png = save_figure(fig_vcurves(recs), Path(args.out) / f"fd2_{tag}.png")
    if args.json:
        print(to_json(recs, model=repr(model), entry=entry, png=str(png) if png else None))
        return 0
    con = Console(width=None if sys.stdout.isatty() else 160)
    t = Table(title=escape(f"{model.description} ({args.dtype}): |error| of {entry} = {recs[0].value:.16g}, RMS "
                           f"over jittered points; reference: {recs[0].reference}"))   # [w, b] is no markup
    t.add_column("h", justify="right")
    for s in schemes:
        t.add_column(s, justify="right")
    err = {(r.method, r.extra["h"]): r.value for r in recs if r.metric == sw.ABS_ERROR}
    for h in hs:
        t.add_row(f"{h:.1e}", *[_fmt(err[(s, float(h))]) for s in schemes])
    con.print(t)
    s2 = Table(title="error model (truncation from 50-digit derivatives, round-off from the measured noise sigma) "
                     "against the measurement")
    for col in ("scheme", "p", "slope", "model h*", "model E*", "at h*", "ratio", "best (at h)", "auto h",
                "auto error", "sigma/u|v|"):
        s2.add_column(col, justify="left" if col == "scheme" else "right")
    for s in schemes:
        got = {r.metric: r for r in recs if r.method == s}
        th, at, best, auto = got[sw.THEORY_ERROR], got[sw.AT_OPTIMUM], got[sw.BEST_ERROR], got[sw.AUTO_ERROR]
        v = "f" if s in ("central", "richardson") else "g"
        s2.add_row(s, str(th.extra["order"]), "-" if got[sw.SLOPE].value is None else f"{got[sw.SLOPE].value:.2f}",
                   f"{th.extra['h']:.1e}", _fmt(th.value), _fmt(at.value), f"{at.extra['ratio']:.2f}",
                   f"{_fmt(best.value)} ({best.extra['h']:.0e})", f"{auto.extra['h']:.1e}", _fmt(auto.value),
                   f"{th.extra['noise'][v] / th.extra['naive'][v]:.3g}")
    con.print(s2)
    if png:
        con.print(f"V-curve written to {png}")
    return 0


def _index_text(index):
    return ",".join(map(str, index))
