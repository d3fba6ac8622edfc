"""diffcompare train: train a perceptron or MLP with any gradient source and optimizer."""
from __future__ import annotations

import json
from pathlib import Path

from .. import api
from ..errors import BadOptionError
from ..options import parse_value
from ..train import DATA, TRAINABLE, train
from ..train.optimizers import OPTIMIZERS, check_lr
from ..train.optimizers import get as get_optimizer

HELP = "train a perceptron/MLP with any gradient method and optimizer (loss curve PNG, --json)"


def add_arguments(p):
    p.add_argument("--model", default="perceptron", help=f"trainable model: {', '.join(TRAINABLE)}")
    p.add_argument("--data", default="lecture", help=f"data set: {', '.join(DATA)}")
    p.add_argument("--grad", default="autodiff", metavar="METHOD",
                   help=f"gradient method: {', '.join(api.METHODS)}")
    p.add_argument("--optimizer", default="gd", help=f"optimizer: {', '.join(OPTIMIZERS)}")
    p.add_argument("--epochs", type=int, default=None,
                   help="passes over the training data (default: 100 lecture, 30 digits; "
                        "lbfgs: iterations)")
    p.add_argument("--lr", type=float, default=None, help="learning rate (default: per optimizer)")
    p.add_argument("--batch-size", type=int, default=None,
                   help="minibatch size (default: full batch on lecture, 200 on digits)")
    p.add_argument("--seed", type=int, default=0, help="seed for init, sampling and the split")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="model option, e.g. --set hidden=64 --set activation=tanh (repeatable)")
    p.add_argument("--blas-threads", type=int, default=1, metavar="N",
                   help="BLAS threads during training (default 1: faster for these small "
                        "products; 0 = leave BLAS alone)")
    p.add_argument("--json", action="store_true", help="print ONE JSON object on stdout")
    p.add_argument("--out", default=".", metavar="DIR", help="directory for the loss-curve PNG")
    p.add_argument("--no-plot", action="store_true", help="do not write the loss-curve PNG")


def _options(items):
    opts = {}
    for item in items:
        key, sep, val = item.partition("=")
        if not sep or not key.isidentifier():
            raise BadOptionError(f"--set expects KEY=VALUE, got {item!r}")
        opts[key] = parse_value(val)
    return opts


def run(args):
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    # Every name and number is checked before any work.
    get_optimizer(args.optimizer)
    api.backend(args.grad, {})
    if args.lr is not None:
        check_lr(args.lr)
    opts = _options(args.set)
    err = Console(stderr=True)
    with Progress(TextColumn("[bold]train[/] {task.description}"), BarColumn(),
                  TextColumn("{task.fields[status]}"),
                  TimeElapsedColumn(), console=err, transient=True,
                  disable=not err.is_terminal) as bar:
        task = bar.add_task(f"{args.model}/{args.data} {args.grad} {args.optimizer}", total=None,
                            status="starting")

        def progress(epoch, epochs, loss):
            bar.update(task, completed=epoch, total=epochs,
                       status=f"epoch {epoch:.4g}/{epochs}  loss {loss:.4g}")

        res = train(args.model, args.data, method=args.grad, optimizer=args.optimizer,
                    epochs=args.epochs, lr=args.lr, batch_size=args.batch_size, seed=args.seed,
                    progress=progress, blas_threads=args.blas_threads or None, **opts)
    out = res.as_dict()
    out.update(model=args.model, data=args.data)
    if not args.no_plot:
        from ..report.fig_train import loss_curve
        from ..report.io import save_figure
        name = f"train_{args.model}_{args.data}_{args.grad}_{args.optimizer}.png"
        label = f"{args.grad}, {args.optimizer} (lr {res.lr:g})"
        fig = loss_curve({label: res.history},
                         title=f"{args.model} on {args.data}: training loss per epoch")
        out["figure"] = str(save_figure(fig, Path(args.out) / name))
    if args.json:
        print(json.dumps(out))
        return 0
    console = Console()
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
    return 0
