"""Digits: our tracer-trained MLP vs scikit-learn's MLPClassifier, in ONE run.

    /work/venv/bin/python benchmarks/bench_train.py [--json] [--quick] [--hidden H] [--epochs E]

Same architecture (64-H-10, ReLU, softmax cross-entropy), same optimizer (Adam, lr 0.01,
betas 0.9/0.999, eps 1e-8), same batch size (200), same number of epochs, no L2 penalty
(sklearn ``alpha=0``), sklearn's early stopping disabled (``tol=0``, ``n_iter_no_change`` >
epochs). Ours records the mean batch loss per epoch (``history="batch_mean"``), as sklearn's
``loss_curve_`` does, so neither side pays for an extra full-data pass. Rounds alternate
between the two, BLAS pinned to one thread; we report median fit time over the rounds with
its spread (min-max, as ``timing.Timing``), the ratio of the medians ours / sklearn, and both
test accuracies on the same held-out 20% split.

Targets: test accuracy >= 0.95; time ratio <= 1.5.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from diffcompare.timing import Timing, steady_allocator  # noqa: E402
from diffcompare.train import problem, train  # noqa: E402
from diffcompare.train.data import load_digits  # noqa: E402


def _spread(times):
    return Timing(float(np.median(times)), float(min(times)), float(max(times)), len(times), 1)


def run(hidden=64, epochs=40, lr=0.01, rounds=5, seed=0):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    try:
        from threadpoolctl import threadpool_limits
        limit = threadpool_limits(1)
    except ImportError:      # env vars above already pin BLAS
        limit = None
    steady_allocator()       # every contender under the same allocator (timing.steady_allocator)
    Xtr, ytr, Xte, yte = load_digits(seed)
    prob = problem("mlp", "digits", seed=seed, hidden=hidden)

    def ours():
        t0 = time.perf_counter()
        r = train(prob, method="autodiff", optimizer="adam", epochs=epochs, lr=lr, batch_size=200,
                  seed=seed, history="batch_mean")
        return time.perf_counter() - t0, r.test_accuracy

    def theirs():
        clf = MLPClassifier((hidden,), activation="relu", solver="adam", alpha=0.0, batch_size=200,
                            learning_rate_init=lr, max_iter=epochs, tol=0.0,
                            n_iter_no_change=epochs + 1, shuffle=True, random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            t0 = time.perf_counter()
            clf.fit(Xtr, ytr)
            t = time.perf_counter() - t0
        assert clf.n_iter_ == epochs
        return t, float(clf.score(Xte, yte))

    ours(), theirs()                         # warm-up: imports, caches
    t_ours, t_sk, acc_ours, acc_sk = [], [], [], []
    for _ in range(rounds):
        t, a = ours()
        t_ours.append(t)
        acc_ours.append(a)
        t, a = theirs()
        t_sk.append(t)
        acc_sk.append(a)
    if limit is not None:
        limit.restore_original_limits()
    to, ts = _spread(t_ours), _spread(t_sk)
    med_o, med_s = to.median, ts.median
    return {"architecture": f"64-{hidden}-10 relu, softmax CE", "optimizer": f"adam lr {lr}, batch 200",
            "epochs": epochs, "rounds": rounds, "ours_s": med_o, "sklearn_s": med_s,
            "ours_s_min_max": [to.min, to.max], "sklearn_s_min_max": [ts.min, ts.max],
            "time_ratio": med_o / med_s, "ours_test_accuracy": acc_ours[0],
            "sklearn_test_accuracy": acc_sk[0], "test_images": int(len(yte)),
            "targets": {"ours_test_accuracy": ">= 0.95", "time_ratio": "<= 1.5"},
            "met": {"accuracy": acc_ours[0] >= 0.95, "time_ratio": med_o / med_s <= 1.5}}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--json", action="store_true")
    p.add_argument("--quick", action="store_true", help="H=32, 15 epochs, 3 rounds")
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--rounds", type=int, default=5)
    a = p.parse_args(argv)
    kw = dict(hidden=32, epochs=15, rounds=3) if a.quick else dict(hidden=a.hidden, epochs=a.epochs,
                                                                   rounds=a.rounds)
    res = run(**kw)
    if a.json:
        print(json.dumps(res, indent=1))
        return 0
    print(f"digits, {res['architecture']}, {res['optimizer']}, {res['epochs']} epochs, "
          f"median of {res['rounds']} rounds, BLAS 1 thread")
    for who, key in (("ours (tracer)", "ours"), ("sklearn MLP  ", "sklearn")):
        lo, hi = res[f"{key}_s_min_max"]
        print(f"  {who}   {res[f'{key}_s']:.3f} s [{lo:.3f}-{hi:.3f}]   test accuracy "
              f"{res[f'{key}_test_accuracy']:.4f}")
    print(f"  time ratio ours/sklearn {res['time_ratio']:.2f}  (target <= 1.5: "
          f"{'met' if res['met']['time_ratio'] else 'NOT met'});  accuracy target >= 0.95: "
          f"{'met' if res['met']['accuracy'] else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
