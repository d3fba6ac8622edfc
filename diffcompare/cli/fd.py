"""diffcompare fd: the step sweep of finite differences on one model parameter, with the
error model, printed as a table and drawn as the V-curve."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from .. import numerical as nm
from ..errors import BadOptionError, UnknownNameError
from ._common import add_model_arguments, model_from_args

HELP = "sweep finite-difference step sizes on one parameter: error vs h with the error model (V-curve)"


def add_arguments(p):
    add_model_arguments(p)
    p.add_argument("--wrt", default=None, help="parameter to differentiate (default: the first)")
    p.add_argument("--index", default="", help="entry of an array parameter, e.g. 0,1")
    p.add_argument("--scheme", default=",".join(nm.SCHEMES),
                   help=f"comma-separated schemes (default: all of {', '.join(nm.SCHEMES)})")
    p.add_argument("--dtype", default="float64", choices=("float64", "float32"))
    p.add_argument("--hmax", type=float, default=1e-1)
    p.add_argument("--hmin", type=float, default=1e-16)
    p.add_argument("--per-decade", type=int, default=4, help="steps per decade")
    p.add_argument("--json", action="store_true", help="print the records as JSON")
    p.add_argument("--out", default=".", help="directory for the V-curve PNG (default: .)")
    p.add_argument("--no-plot", action="store_true", help="do not write the PNG")


def _parse(args):
    from ..stepsweep import default_hs
    schemes = [s.strip() for s in args.scheme.split(",") if s.strip()]
    for s in schemes:
        if s not in nm.SCHEMES:
            raise UnknownNameError(f"unknown scheme {s!r}; known: {', '.join(nm.SCHEMES)}")
    if args.per_decade < 1:
        raise BadOptionError(f"--per-decade must be >= 1, got {args.per_decade}")
    hs = default_hs(args.hmax, args.hmin, args.per_decade)
    model = model_from_args(args)
    params = nm.as_dtype(model.params, args.dtype)
    wrt = args.wrt or next(iter(params))
    if wrt not in params:
        raise UnknownNameError(f"model {model.name} has no parameter {wrt!r}; it has {', '.join(params)}")
    index = ()
    if isinstance(params[wrt], np.ndarray):
        try:
            index = tuple(int(t) for t in args.index.split(",")) if args.index else (0,) * params[wrt].ndim
            params[wrt][index]
        except (ValueError, IndexError):
            raise BadOptionError(f"--index {args.index!r} is not an entry of {wrt} (shape {params[wrt].shape})") from None
        if len(index) != params[wrt].ndim:
            raise BadOptionError(f"--index needs {params[wrt].ndim} integers for {wrt} (shape {params[wrt].shape})")
    return model, params, wrt, index, schemes, hs


def run(args):
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from ..records import to_json
    from ..stepsweep import sweep, sweep_to_records

    model, params, wrt, index, schemes, hs = _parse(args)
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
