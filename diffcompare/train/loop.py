"""The training loop: a ``Problem``, a gradient METHOD, an optimizer -> a ``TrainResult``.

One epoch is one pass over the training data: one step for full-batch optimizers, n steps
of one random sample for ``sgd``, ceil(n / B) shuffled minibatches otherwise; for the scipy
optimizers (``lbfgs``, ``newton-cg``, ``trust-ncg``) an epoch is one scipy iteration.
``history[i]`` is the full training loss after epoch ``history_epochs[i]`` (epoch 0: before
training); with ``history="batch_mean"`` it is instead the mean of the batch losses the
steps of that epoch saw (scikit-learn's ``loss_curve_`` convention, which costs no extra
forward pass). ``loss`` is always the full training loss at the final params.

Bounded, however many epochs are asked for: the histories keep at most ``history.CAP`` rows
(every k-th epoch, k doubling, plus the first, last and lowest loss), and before committing
to a long run the loop times its first steps and refuses (``TrainingBudgetError``, naming
the estimate and ``max_seconds``) a run that would pass ``max_seconds``. Recording the
trajectory (every step's params) is refused up front past ``TRAJECTORY_MAX_BYTES``.

The gradient of each batch comes from ``dc.value_and_grad``. Every method but ``symbolic``
re-runs the model on each call, so ONE gradient function over "the current batch" serves
all steps; ``symbolic`` differentiates (and compiles) once in its ``make``, with the data it
saw then, so it gets one gradient function per distinct batch (cached) -- never a stale
batch. The Newton optimizers also need a Hessian-vector product of the full-batch loss:
``hvp`` names a second-derivative method of ``dc.hvp`` (default ``autodiff``: our tracer's
forward-over-reverse, from the same table rows) or is a callable ``hvp(params, v) -> dict``.

Computation only: nothing is printed. ``progress(what, done, total)`` (the experiments'
protocol; ``done``/``total`` count steps, or scipy iterations) is called at most every
``PROGRESS_S`` seconds and once at the end.
"""
from __future__ import annotations

import contextlib
import math
import time

import numpy as np

from .. import api
from ..errors import BadOptionError, BadParamsError
from ..hessian import HESSIAN_METHODS
from ..hessian import hvp as hessian_vector_product
from ..namespaces import NUMPY
from ..params import Layout
from . import optimizers
from .data import Problem
from .data import problem as make_problem
from .history import History
from .result import TrainingBudgetError, TrainingDivergedError, TrainResult

__all__ = ["train", "TrainResult", "TrainingDivergedError", "TrainingBudgetError", "DEFAULT_EPOCHS",
           "DEFAULT_LR", "DEFAULT_MAX_SECONDS"]

DEFAULT_EPOCHS = {"lecture": 100, "digits": 30}
# (data, optimizer) -> default learning rate where the optimizer's own default is a poor fit
DEFAULT_LR = {("digits", "adam"): 0.01, ("digits", "minibatch"): 0.1, ("digits", "sgd"): 0.01,
              ("digits", "momentum"): 0.01, ("digits", "gd"): 0.5, ("digits", "schedule"): 0.5}
DEFAULT_MAX_SECONDS = 600.0      # a run estimated to take longer is refused before it starts
CALIBRATE_S = 0.5                # steps timed before the estimate is made
PROGRESS_S = 0.25                # at most one progress call per this many seconds
TRAJECTORY_MAX_BYTES = 256 * 2 ** 20
CLOCK = time.perf_counter        # the loop's clock (progress, the estimate, the curve's seconds)
_CACHE_MAX = 512
_COMPILES = ("symbolic",)        # methods whose make() bakes the data in


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


def _steps_per_epoch(opt, n, bs):
    if opt.scipy is not None or opt.sampling == "full" or bs is None or bs >= n:
        return 1
    return n if bs == 1 else -(-n // bs)


def _blas_limit(n):
    """``blas_threads=n`` caps BLAS threads for the run: our products are small (a 200x64
    batch), where threads cost more in synchronisation than they gain -- on a busy 2-core
    machine multi-threaded OpenBLAS made a digits epoch ~8x slower. Restored afterwards."""
    if n is None:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:          # scikit-learn's dependency; without it, leave BLAS alone
        return contextlib.nullcontext()
    return threadpool_limits(int(n))


def _duration(s):
    for unit, k in (("h", 3600.0), ("min", 60.0), ("s", 1.0), ("ms", 1e-3)):
        if s >= k:
            return f"{s / k:.3g} {unit}"
    return f"{s * 1e6:.3g} µs"


class _Gradients:
    """value_and_grad of the model on a batch, built once (or once per distinct batch for
    the methods that bake the data in)."""

    def __init__(self, prob, method, options):
        self.prob, self.method, self.options = prob, method, options
        self.cache, self.current = {}, {}

    def on_batch(self, p, xp):
        return self.prob.model(p, xp, **self.current)

    def __call__(self, idx=None, view=None):
        model, cache = self.prob.model, self.cache
        if self.method not in _COMPILES:
            self.current.clear()
            if view is not None:
                self.current.update(view)
            elif idx is not None:
                self.current.update({k: model.data[k][idx] for k in self.prob.sample_keys})
            fn = cache.get("any")
            if fn is None:
                fn = cache["any"] = api.value_and_grad(self.on_batch, self.method, **self.options)
            return fn
        key = None if idx is None else idx.tobytes()
        fn = cache.get(key)
        if fn is None:
            if len(cache) >= _CACHE_MAX:
                cache.clear()
            fn = cache[key] = api.value_and_grad(self.prob.batch(idx), self.method, **self.options)
        return fn


class _Run:
    """One run's state: steps taken, the bounded histories, the clock for progress and for
    the budget estimate."""

    def __init__(self, opt, lr, method, epochs, total_steps, progress, max_seconds, trajectory):
        self.opt, self.lr, self.method, self.epochs = opt, lr, method, epochs
        self.total_steps, self.progress, self.budget = total_steps, progress, max_seconds
        self.t = self.hvps = 0
        self.history, self.steps = History(), History()
        self.trajectory = [] if trajectory else None
        self.t0 = self.last_report = CLOCK()
        self.calibrate_from = None          # (clock, step) after the first step

    def fail(self, epoch, what):
        raise TrainingDivergedError(f"training diverged at epoch {epoch}, {what} "
                                    f"({self.opt.name}, learning rate {self.lr:g}; try a smaller one)",
                                    epoch=epoch, step=self.t)

    def evaluate(self, fn, p, epoch):
        try:
            v, g = fn(p)
        except BadParamsError as e:      # a param overflowed to inf/nan on the last step
            self.fail(epoch, f"step {self.t}: {e}")
        if not math.isfinite(v):
            self.fail(epoch, f"step {self.t}: the loss its gradient is taken at is {v}")
        for k, gk in g.items():
            if not np.all(np.isfinite(gk)):
                raise TrainingDivergedError(
                    f"training diverged at epoch {epoch}, step {self.t}: the gradient of {k!r} "
                    f"by {self.method} is not finite ({self.opt.name}, learning rate {self.lr:g})",
                    epoch=epoch, step=self.t)
        self.steps.add(self.t, v)
        return v, g

    def record(self, epoch, loss):
        self.history.add(epoch, loss, self.t, self.hvps, CLOCK() - self.t0)

    def tick(self, epoch, loss, final=False):
        """Progress (throttled) and, once, the budget estimate from the steps timed so far."""
        now = CLOCK()
        if self.calibrate_from is None:
            self.calibrate_from = (now, self.t)
        elif self.budget is not None and self.t > self.calibrate_from[1] \
                and now - self.calibrate_from[0] >= CALIBRATE_S:
            self._estimate(now)
        if self.progress is not None and (final or now - self.last_report >= PROGRESS_S):
            self.last_report = now
            shown = f"{int(epoch):,}" if float(epoch).is_integer() else f"{epoch:,.2f}"
            self.progress(f"epoch {shown}/{self.epochs:,}: loss {loss:.4g}", self.t, self.total_steps)

    def _estimate(self, now):
        c0, s0 = self.calibrate_from
        per_step = (now - c0) / (self.t - s0)
        estimate = (c0 - self.t0) + per_step * (self.total_steps - s0)
        budget, self.budget = self.budget, None          # estimated once
        if estimate > budget:
            raise TrainingBudgetError(
                f"{self.epochs:,} epochs ({self.total_steps:,} steps at {_duration(per_step)} "
                f"each, timed over {self.t - s0:,}) would take about {_duration(estimate)}; "
                f"the budget is {_duration(budget)}: lower the epochs or raise max_seconds "
                "(--max-seconds)", estimate=estimate, budget=budget)


def train(prob="perceptron", data="lecture", method="autodiff", optimizer="gd", epochs=None,
          lr=None, batch_size=None, seed=0, params=None, progress=None, record_trajectory=False,
          method_options=None, history="full", hvp="autodiff", tol=None, max_seconds=DEFAULT_MAX_SECONDS,
          blas_threads=None, **model_options):
    """Train ``prob`` (a ``Problem`` or a trainable catalogue model name bound to ``data``)
    with gradients from ``method`` and ``optimizer``; returns a ``TrainResult``.

    ``hvp``: the Hessian-vector product of the full training loss for the Newton optimizers,
    a method of ``dc.hvp`` (default ``autodiff``) or a callable ``hvp(params, v) -> dict``.
    ``tol``: the scipy optimizers' stopping tolerance (None: scipy's default).
    ``max_seconds``: refuse a run estimated to take longer (None: no limit).
    ``blas_threads``: cap BLAS threads during the run (None: leave BLAS alone).

    Raises ``UnknownNameError`` (model, data, method, optimizer), ``BadOptionError`` (lr <= 0,
    epochs < 1, a bad batch size) before any work, ``TrainingBudgetError`` for a run past its
    budget, and ``TrainingDivergedError`` naming the epoch and step when the loss or a
    gradient stops being finite."""
    # Overflow on the way to divergence is detected and reported by the loop itself (with
    # the step); numpy's RuntimeWarnings would only add noise.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"), \
            _blas_limit(blas_threads):
        return _train(prob, data, method, optimizer, epochs, lr, batch_size, seed, params, progress,
                      record_trajectory, method_options or {}, history, hvp, tol, max_seconds, model_options)


def _check_options(prob, epochs, history, max_seconds, hvp):
    epochs = DEFAULT_EPOCHS.get(prob.data, 100) if epochs is None else epochs
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise BadOptionError(f"epochs must be an integer >= 1, got {epochs!r}")
    if not callable(hvp) and hvp not in HESSIAN_METHODS:
        raise BadOptionError(f"hvp must be a second-derivative method ({', '.join(HESSIAN_METHODS)}) "
                             f"or a function hvp(params, v), got {hvp!r}")
    if history not in ("full", "batch_mean"):
        raise BadOptionError(f"history must be 'full' or 'batch_mean', got {history!r}")
    if max_seconds is not None and (not isinstance(max_seconds, (int, float)) or isinstance(max_seconds, bool)
                                    or not max_seconds > 0):
        raise BadOptionError(f"max_seconds must be a number > 0 (or None), got {max_seconds!r}")
    return int(epochs)


def _train(prob, data, method, optimizer, epochs, lr, batch_size, seed, params, progress,
           record_trajectory, mopts, history_mode, hvp, tol, max_seconds, model_options):
    opt = optimizers.get(optimizer)
    api.backend(method, mopts)               # an unknown method or option fails before any work
    if not isinstance(prob, Problem):
        prob = make_problem(prob, data, seed=seed, **model_options)
    epochs = _check_options(prob, epochs, history_mode, max_seconds, hvp)
    lr = optimizers.check_lr(DEFAULT_LR.get((prob.data, opt.name), opt.default_lr) if lr is None else lr)
    bs = _resolve_batch(opt, prob, batch_size)
    params = prob.model.init(seed) if params is None else dict(params)
    layout = Layout(params)
    total = epochs * _steps_per_epoch(opt, prob.n, bs)
    if record_trajectory and total * layout.n * 8 > TRAJECTORY_MAX_BYTES:
        raise TrainingBudgetError(
            f"recording the trajectory of {total:,} steps x {layout.n:,} params needs "
            f"{total * layout.n * 8 / 2 ** 20:,.0f} MiB (limit {TRAJECTORY_MAX_BYTES / 2 ** 20:.0f} MiB): "
            "lower the epochs or do not record it", estimate=total * layout.n * 8,
            budget=TRAJECTORY_MAX_BYTES, kind="memory")
    run = _Run(opt, lr, method, epochs, total, progress,
               None if opt.scipy is not None else max_seconds, record_trajectory)
    grads = _Gradients(prob, method, mopts)
    first = _full_loss(prob.model, params)
    if not math.isfinite(first):
        raise TrainingDivergedError(f"the initial loss is {first}: check the data and params",
                                    epoch=0, step=0)
    run.record(0, first)
    if opt.scipy is not None:
        params, info, epochs_done = _scipy(run, prob, grads, params, hvp, tol, layout)
    else:
        params, info, epochs_done = _first_order(run, prob, grads, params, bs, seed, history_mode, layout)
    return _result(run, prob, grads, params, info, epochs_done, bs)


def _first_order(run, prob, grads, params, bs, seed, history_mode, layout):
    opt, lr, model, rng = run.opt, run.lr, prob.model, np.random.default_rng(seed)
    state = opt.init(params)
    loss = run.history.last[1]
    for epoch in range(1, run.epochs + 1):
        batches = _batches(opt, prob.n, bs, rng)
        views = _epoch_views(model, prob.sample_keys, batches) if grads.method not in _COMPILES else None
        batch_sum = 0.0
        for j, idx in enumerate(batches):
            run.t += 1
            v, g = run.evaluate(grads(idx, views and views[j]), params, epoch)
            batch_sum += v
            params, state = opt.step(params, g, state, lr, run.t)
            if run.trajectory is not None:
                run.trajectory.append(layout.flatten(params))
            run.tick(epoch - 1 + (j + 1) / len(batches), v)
        loss = _full_loss(model, params) if history_mode == "full" or epoch == run.epochs \
            else batch_sum / len(batches)
        if not math.isfinite(loss):
            run.fail(epoch, f"after step {run.t}: the loss is {loss}")
        run.record(epoch, loss)
    run.tick(run.epochs, loss, final=True)
    return params, {}, run.epochs


def _scipy(run, prob, grads, params, hvp, tol, layout):
    full, epoch = grads(None), [0]
    if not callable(hvp):
        hvp = hessian_vector_product(prob.model, method=hvp)

    def vg(p):
        run.t += 1
        return run.evaluate(full, p, epoch[0] + 1)

    def counted_hvp(p, v):
        run.hvps += 1
        return hvp(p, v)

    def callback(p):
        epoch[0] += 1
        loss = _full_loss(prob.model, p)
        run.record(epoch[0], loss)
        if run.trajectory is not None:
            run.trajectory.append(layout.flatten(p))
        run.tick(epoch[0], loss)

    params, res = optimizers.minimize(run.opt, vg, params, run.epochs, callback, hvp=counted_hvp, tol=tol)
    run.tick(epoch[0], run.history.last[1], final=True)
    info = {"scipy_message": str(res.message), "scipy_nit": int(res.nit), "scipy_nfev": int(res.nfev),
            "hvps": run.hvps}
    return params, info, epoch[0]


def _result(run, prob, grads, params, info, epochs_done, bs):
    seconds = CLOCK() - run.t0
    gf = next(iter(grads.cache.values()), None)
    if gf is not None:
        info.update({k: v for k, v in gf.info.items() if k not in ("method",)})
    if grads.method in _COMPILES:
        info["distinct_batches"] = len(grads.cache)
    rows = run.history.rows()
    curve = {name: [r[j] for r in rows] for j, name in enumerate(("epoch", "loss", "steps", "hvps", "seconds"))}
    steps = run.steps.rows()
    # the loss at the params returned: scipy may return a point other than its last iterate
    res = TrainResult(params, _full_loss(prob.model, params), curve["loss"], [r[1] for r in steps], run.method,
                      run.opt.name, run.lr, epochs_done, run.t, bs, seconds, trajectory=run.trajectory,
                      info=info, curve=curve, step_index=[r[0] for r in steps])
    if prob.classification:
        res.test_accuracy = prob.accuracy(params)
        res.train_accuracy = prob.accuracy(params, prob.model.data["X"], prob.test["train_labels"])
    return res
