"""diffcompare train: train a perceptron or MLP with any gradient source and optimizer."""
from __future__ import annotations

import json
import math
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from .. import api
from ..errors import BadOptionError
from ..hessian import HESSIAN_METHODS
from ..options import parse_settings
from ..train import DATA, DEFAULT_MAX_SECONDS, TRAINABLE, train
from ..train.optimizers import OPTIMIZERS, check_lr
from ..train.optimizers import get as get_optimizer

HELP = "train a perceptron/MLP with any gradient method and optimizer (loss curve PNG, --json)"


def add_arguments(p):
    p.add_argument("--model", default="perceptron", help=f"trainable model: {', '.join(TRAINABLE)}")
    p.add_argument("--data", default="lecture", help=f"data set: {', '.join(DATA)}")
    p.add_argument("--grad", default="autodiff", metavar="METHOD",
                   help=f"gradient method: {', '.join(api.METHODS)}")
    p.add_argument("--optimizer", default="gd", help=f"optimizer: {', '.join(OPTIMIZERS)}")
    p.add_argument("--hvp", default="autodiff", metavar="METHOD",
                   help=f"Hessian-vector products for newton-cg and trust-ncg: {', '.join(HESSIAN_METHODS)}")
    p.add_argument("--epochs", type=int, default=None,
                   help="passes over the training data (default: 100 lecture, 30 digits; "
                        "lbfgs, newton-cg, trust-ncg: iterations)")
    p.add_argument("--lr", type=float, default=None, help="learning rate (default: per optimizer)")
    p.add_argument("--batch-size", type=int, default=None,
                   help="minibatch size (default: full batch on lecture, 200 on digits)")
    p.add_argument("--seed", type=int, default=0, help="seed for init, sampling and the split")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="model option, e.g. --set hidden=64 --set activation=tanh (repeatable)")
    p.add_argument("--max-seconds", type=float, default=DEFAULT_MAX_SECONDS, metavar="S",
                   help=f"refuse a run whose first steps say it would take longer (default "
                        f"{DEFAULT_MAX_SECONDS:g}; inf: no limit)")
    p.add_argument("--progress-every", type=float, default=10.0, metavar="S",
                   help="when stderr is not a terminal, one progress line per S seconds (default 10)")
    p.add_argument("--blas-threads", type=int, default=1, metavar="N",
                   help="BLAS threads during training (default 1: faster for these small "
                        "products; 0 = leave BLAS alone)")
    p.add_argument("--json", action="store_true", help="print ONE JSON object on stdout")
    p.add_argument("--out", default=".", metavar="DIR", help="directory for the loss-curve PNG")
    p.add_argument("--no-plot", action="store_true", help="do not write the loss-curve PNG")


@contextmanager
def _progress(label, every):
    """The experiments' progress protocol ``(what, done, total)`` drawn as a rich bar on a
    terminal, else as one line on stderr per ``every`` seconds (a log, a CI job, a pipe)."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    err = Console(stderr=True)
    if not err.is_terminal:
        t0, last = time.perf_counter(), [-math.inf]

        def line(what, done=None, total=None):
            now = time.perf_counter()
            if now - last[0] >= every:
                last[0] = now
                share = f" ({done / total:.1%} of the steps)" if done is not None and total else ""
                sys.stderr.write(f"train {label}: {what}{share}, {now - t0:.0f} s\n")
                sys.stderr.flush()
        yield line
        return
    with Progress(TextColumn("[bold]train[/] {task.description}"), BarColumn(),
                  TextColumn("{task.fields[status]}"), TimeElapsedColumn(), console=err,
                  transient=True) as bar:
        task = bar.add_task(label, total=None, status="starting")
        yield lambda what, done=None, total=None: bar.update(task, completed=done, total=total,
                                                             status=what)


def run(args):
    from rich.console import Console

    # Every name and number is checked before any work.
    get_optimizer(args.optimizer)
    api.backend(args.grad, {})
    if args.lr is not None:
        check_lr(args.lr)
    if not args.max_seconds > 0 or not args.progress_every >= 0:
        raise BadOptionError("--max-seconds must be > 0 and --progress-every >= 0")
    opts = parse_settings(args.set)
    label = f"{args.model}/{args.data} {args.grad} {args.optimizer}"
    with _progress(label, args.progress_every) as progress:
        res = train(args.model, args.data, method=args.grad, optimizer=args.optimizer,
                    epochs=args.epochs, lr=args.lr, batch_size=args.batch_size, seed=args.seed,
                    progress=progress, blas_threads=args.blas_threads or None, hvp=args.hvp,
                    max_seconds=None if math.isinf(args.max_seconds) else args.max_seconds, **opts)
    out = res.as_dict()
    out.update(model=args.model, data=args.data)
    if not args.no_plot:
        from ..report.fig_train import loss_curve
        from ..report.io import save_figure
        name = f"train_{args.model}_{args.data}_{args.grad}_{args.optimizer}.png"
        label = f"{args.grad}, {args.optimizer} (lr {res.lr:g})"
        fig = loss_curve({label: (res.history_epochs, res.history)},
                         title=f"{args.model} on {args.data}: training loss per epoch")
        out["figure"] = str(save_figure(fig, Path(args.out) / name))
    if args.json:
        print(json.dumps(out))
        return 0
    _print(Console(), args, res, out)
    return 0


def _print(console, args, res, out):
    console.print(f"[bold]{args.model}[/] on [bold]{args.data}[/]: {args.grad} gradients, "
                  f"{res.optimizer} (lr {res.lr:g}, batch {res.batch_size or 'full'}), "
                  f"{res.epochs} epochs, {res.steps} steps, {res.seconds:.3f} s")
    console.print(f"loss {res.history[0]:.6g} -> {res.loss:.6g}")
    for k, v in out["params"].items():
        if isinstance(v, list):
            import numpy as np
            a = np.asarray(v)
            console.print(f"  {k}: array {'x'.join(map(str, a.shape))}, |max| {np.abs(a).max():.4g}")
        else:
            console.print(f"  {k} = {v:.10g}")
    if res.test_accuracy is not None:
        console.print(f"test accuracy {res.test_accuracy:.4f} (train {res.train_accuracy:.4f})")
    if "figure" in out:
        console.print(f"loss curve: {out['figure']}")
