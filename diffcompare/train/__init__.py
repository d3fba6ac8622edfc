"""Training the lecture's perceptrons and MLPs with any gradient source.

    >>> from diffcompare.train import train
    >>> r = train("perceptron", "lecture", method="autodiff", optimizer="gd")
    >>> round(r.params["w"], 4)
    1.0047

``optimizers`` holds the init/step pairs (and L-BFGS, Newton-CG through scipy), ``data`` the
data sets (``lecture``, ``digits``) and model binding, ``loop`` the loop, ``history`` the
bounded loss history, ``result`` what a run returns; the record-returning experiments the
report shows live in ``diffcompare.experiments.training``.
"""
from .data import DATA, TRAINABLE, Problem, problem
from .history import History
from .loop import DEFAULT_EPOCHS, DEFAULT_MAX_SECONDS, train
from .optimizers import OPTIMIZERS
from .result import TrainingBudgetError, TrainingDivergedError, TrainResult

__all__ = ["train", "TrainResult", "TrainingDivergedError", "TrainingBudgetError", "problem", "Problem",
           "DATA", "TRAINABLE", "OPTIMIZERS", "DEFAULT_EPOCHS", "DEFAULT_MAX_SECONDS", "History"]
