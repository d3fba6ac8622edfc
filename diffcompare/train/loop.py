"""The training loop: a ``Problem``, a gradient METHOD, an optimizer -> a ``TrainResult``.

One epoch is one pass over the training data: one step for full-batch optimizers, n steps
of one random sample for ``sgd``, ceil(n / B) shuffled minibatches otherwise; for ``lbfgs``
an epoch is one scipy iteration. ``history[e]`` is the full training loss after epoch e
(``history[0]``: before training); with ``history="batch_mean"`` it is instead the mean of
the batch losses the steps of epoch e saw (scikit-learn's ``loss_curve_`` convention, which
costs no extra forward pass). ``loss`` is always the full training loss at the final params.

The gradient of each batch comes from ``dc.value_and_grad``. Every method but ``symbolic``
re-runs the model on each call, so ONE gradient function over "the current batch" serves
all steps; ``symbolic`` differentiates (and compiles) once in its ``make``, with the data it
saw then, so it gets one gradient function per distinct batch (cached) -- never a stale
batch.

Computation only: nothing is printed; a ``progress(epoch, epochs, loss)`` callback reports
after each epoch (and, within an epoch longer than 0.25 s, with a fractional ``epoch`` and
the last batch loss).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from .. import api
from ..errors import BadOptionError, BadParamsError, DiffcompareError
from ..namespaces import NUMPY
from ..params import flatten
from . import optimizers
from .data import Problem
from .data import problem as make_problem

__all__ = ["train", "TrainResult", "TrainingDivergedError", "DEFAULT_EPOCHS", "DEFAULT_LR"]

DEFAULT_EPOCHS = {"lecture": 100, "digits": 30}
# (data, optimizer) -> default learning rate where the optimizer's own default is a poor fit
DEFAULT_LR = {("digits", "adam"): 0.01, ("digits", "minibatch"): 0.1, ("digits", "sgd"): 0.01,
              ("digits", "momentum"): 0.01, ("digits", "gd"): 0.5, ("digits", "schedule"): 0.5}
_CACHE_MAX = 512
_COMPILES = ("symbolic",)      # methods whose make() bakes the data in


class TrainingDivergedError(DiffcompareError):
    """The loss (or a gradient) became NaN/inf: training stops and says where."""

    def __init__(self, message, epoch=None, step=None):
        super().__init__(message)
        self.epoch, self.step = epoch, step


@dataclass
class TrainResult:
    params: dict
    loss: float                       # final full training loss
    history: list                     # full training loss per epoch, [0] = initial
    step_losses: list                 # the (batch) loss each step saw
    method: str
    optimizer: str
    lr: float
    epochs: int
    steps: int
    batch_size: Optional[int]         # None = full batch
    seconds: float
    test_accuracy: Optional[float] = None
    train_accuracy: Optional[float] = None
    trajectory: Optional[list] = None  # flat theta after each step (record_trajectory=True)
    info: dict = field(default_factory=dict)

    def as_dict(self):
        out = {"params": {k: (v.tolist() if isinstance(v, np.ndarray) else float(v))
                          for k, v in self.params.items()},
               "loss": self.loss, "history": list(map(float, self.history)),
               "method": self.method, "optimizer": self.optimizer, "lr": self.lr,
               "epochs": self.epochs, "steps": self.steps, "batch_size": self.batch_size,
               "seconds": self.seconds}
        if self.test_accuracy is not None:
            out["test_accuracy"] = self.test_accuracy
            out["train_accuracy"] = self.train_accuracy
        out["info"] = {k: v for k, v in self.info.items() if isinstance(v, (int, float, str))}
        return out


def _full_loss(model, params):
    return float(model(params, NUMPY))


def _batches(opt, n, batch_size, rng):
    """Index sets for one epoch (None = the full batch)."""
    if opt.sampling == "full" or batch_size is None or batch_size >= n:
        return [None]
    if opt.sampling == "one" or batch_size == 1:
        return [np.array([i]) for i in rng.integers(0, n, n)]
    perm = rng.permutation(n)
    return [np.sort(perm[i:i + batch_size]) for i in range(0, n, batch_size)]


def _epoch_views(model, keys, batches):
    """Each batch's rows as views into ONE gathered copy of the epoch's data: one fancy
    index per epoch instead of one per step (same rows in the same order, so the numbers are
    bit-identical to indexing batch by batch)."""
    if len(batches) < 2:
        return None
    order = np.concatenate(batches)
    gathered = {k: model.data[k][order] for k in keys}
    ends = np.cumsum([len(b) for b in batches])
    starts = ends - [len(b) for b in batches]
    return [{k: v[a:b] for k, v in gathered.items()} for a, b in zip(starts, ends)]


def _resolve_batch(opt, prob, batch_size):
    if batch_size is not None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise BadOptionError(f"batch size must be an integer >= 1, got {batch_size!r}")
        if opt.sampling == "full":
            raise BadOptionError(f"optimizer {opt.name!r} is full-batch; drop --batch-size "
                                 "(use minibatch, sgd, momentum, adam, ... for batches)")
        if opt.sampling == "one" and batch_size != 1:
            raise BadOptionError("optimizer 'sgd' uses one random sample per step; "
                                 "use 'minibatch' for --batch-size > 1")
        return min(int(batch_size), prob.n)
    if opt.sampling == "one":
        return 1
    if opt.sampling == "batch":
        if opt.name == "minibatch":
            return prob.default_batch or max(1, prob.n // 2)
        return prob.default_batch
    return None


def train(*args, blas_threads=None, **kwargs):
    # Overflow on the way to divergence is detected and reported by the loop itself (with
    # the step); numpy's RuntimeWarnings would only add noise.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"), \
            _blas_limit(blas_threads):
        return _train(*args, **kwargs)


def _blas_limit(n):
    """``blas_threads=n`` caps BLAS threads for the run: our products are small (a 200x64
    batch), where threads cost more in synchronisation than they gain -- on a busy 2-core
    machine multi-threaded OpenBLAS made a digits epoch ~8x slower. Restored afterwards."""
    import contextlib
    if n is None:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:          # scikit-learn's dependency; without it, leave BLAS alone
        return contextlib.nullcontext()
    return threadpool_limits(int(n))


def _train(prob="perceptron", data="lecture", method="autodiff", optimizer="gd", epochs=None,
          lr=None, batch_size=None, seed=0, params=None, progress=None,
          record_trajectory=False, method_options=None, history="full", **model_options):
    """Train ``prob`` (a ``Problem`` or a trainable catalogue model name bound to ``data``)
    with gradients from ``method`` and ``optimizer``; returns a ``TrainResult``.

    Raises ``UnknownNameError`` (model, data, method, optimizer), ``BadOptionError`` (lr <= 0,
    epochs < 1, a bad batch size) before any work, and ``TrainingDivergedError`` naming the
    epoch and step when the loss or a gradient stops being finite."""
    opt = optimizers.get(optimizer)
    api.backend(method, {})                     # an unknown method fails before any work
    if not isinstance(prob, Problem):
        prob = make_problem(prob, data, seed=seed, **model_options)
    epochs = DEFAULT_EPOCHS.get(prob.data, 100) if epochs is None else epochs
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise BadOptionError(f"epochs must be an integer >= 1, got {epochs!r}")
    if lr is None:
        lr = DEFAULT_LR.get((prob.data, opt.name), opt.default_lr)
    lr = optimizers.check_lr(lr)
    bs = _resolve_batch(opt, prob, batch_size)
    if history not in ("full", "batch_mean"):
        raise BadOptionError(f"history must be 'full' or 'batch_mean', got {history!r}")
    history_mode = history
    params = prob.model.init(seed) if params is None else dict(params)
    rng = np.random.default_rng(seed)
    mopts = method_options or {}

    cache, current = {}, {}
    model, keys = prob.model, prob.sample_keys

    def on_batch(p, xp):
        return model(p, xp, **current)

    def vg_for(idx, view=None):
        if method not in _COMPILES:
            current.clear()
            if view is not None:
                current.update(view)
            elif idx is not None:
                current.update({k: model.data[k][idx] for k in keys})
            fn = cache.get("any")
            if fn is None:
                fn = cache["any"] = api.value_and_grad(on_batch, method, **mopts)
            return fn
        key = None if idx is None else idx.tobytes()
        fn = cache.get(key)
        if fn is None:
            if len(cache) >= _CACHE_MAX:
                cache.clear()
            fn = cache[key] = api.value_and_grad(prob.batch(idx), method, **mopts)
        return fn

    history = [_full_loss(prob.model, params)]
    if not math.isfinite(history[0]):
        raise TrainingDivergedError(f"the initial loss is {history[0]}: check the data and params",
                                    epoch=0, step=0)
    step_losses, trajectory = [], [] if record_trajectory else None
    t = 0
    t0 = time.perf_counter()

    def checked(value, grads, epoch):
        if not math.isfinite(value):
            raise TrainingDivergedError(
                f"training diverged at epoch {epoch}, step {t}: the loss its gradient is taken "
                f"at is {value} "
                f"({opt.name}, learning rate {lr:g}; try a smaller one)", epoch=epoch, step=t)
        for k, g in grads.items():
            if not np.all(np.isfinite(g)):
                raise TrainingDivergedError(
                    f"training diverged at epoch {epoch}, step {t}: the gradient of {k!r} "
                    f"by {method} is not finite ({opt.name}, learning rate {lr:g})",
                    epoch=epoch, step=t)

    def evaluate(fn, p, epoch):
        try:
            v, g = fn(p)
        except BadParamsError as e:      # a param overflowed to inf/nan on the last step
            raise TrainingDivergedError(f"training diverged at epoch {epoch}, step {t}: {e} "
                                        f"({opt.name}, learning rate {lr:g}; try a smaller one)",
                                        epoch=epoch, step=t) from None
        checked(v, g, epoch)
        return v, g

    if opt.name == "lbfgs":
        full = vg_for(None)
        epoch_box = [0]

        def vg(p):
            nonlocal t
            v, g = evaluate(full, p, epoch_box[0] + 1)
            t += 1
            step_losses.append(v)
            return v, g

        def callback(p):
            epoch_box[0] += 1
            history.append(_full_loss(prob.model, p))
            if trajectory is not None:
                trajectory.append(flatten(p))
            if progress is not None:
                progress(epoch_box[0], epochs, history[-1])

        params, res = optimizers.lbfgs(vg, params, epochs, callback)
        info = {"lbfgs_message": str(res.message), "lbfgs_nit": int(res.nit),
                "lbfgs_nfev": int(res.nfev)}
        epochs_done = epoch_box[0]
    else:
        state = opt.init(params)
        last_report = [time.perf_counter()]
        for epoch in range(1, epochs + 1):
            batches = _batches(opt, prob.n, bs, rng)
            views = _epoch_views(model, keys, batches) if method not in _COMPILES else None
            for j, idx in enumerate(batches):
                t += 1
                v, g = evaluate(vg_for(idx, views and views[j]), params, epoch)
                step_losses.append(v)
                params, state = opt.step(params, g, state, lr, t)
                if trajectory is not None:
                    trajectory.append(flatten(params))
                if progress is not None and time.perf_counter() - last_report[0] > 0.25:
                    # a long epoch (finite differences on digits) reports its fraction too
                    last_report[0] = time.perf_counter()
                    progress(epoch - 1 + (j + 1) / len(batches), epochs, v)
            loss = _full_loss(prob.model, params) if history_mode == "full" or epoch == epochs \
                else float(np.mean(step_losses[-len(batches):]))
            if not math.isfinite(loss):
                raise TrainingDivergedError(
                    f"training diverged at epoch {epoch}, after step {t}: the loss is {loss} "
                    f"({opt.name}, learning rate {lr:g}; try a smaller one)", epoch=epoch, step=t)
            history.append(loss)
            if progress is not None:
                progress(epoch, epochs, loss)
        info, epochs_done = {}, epochs
    seconds = time.perf_counter() - t0
    gf = next(iter(cache.values()), None)
    if gf is not None:
        info.update({k: v for k, v in gf.info.items() if k not in ("method",)})
    if method in _COMPILES:
        info["distinct_batches"] = len(cache)
    res = TrainResult(params, history[-1], history, step_losses, method, opt.name, lr,
                      epochs_done, t, bs, seconds, trajectory=trajectory, info=info)
    if prob.classification:
        res.test_accuracy = prob.accuracy(params)
        res.train_accuracy = prob.accuracy(params, prob.model.data["X"], prob.test["train_labels"])
    return res


train.__doc__ = _train.__doc__ + """
    ``blas_threads``: cap BLAS threads during the run (None: leave BLAS alone)."""
_sig = __import__("inspect").signature(_train)
train.__signature__ = _sig.replace(parameters=[*_sig.parameters.values()][:-1] + [
    __import__("inspect").Parameter("blas_threads", 3, default=None), _sig.parameters["model_options"]])
