"""What a training run returns (``TrainResult``) and how it stops early (typed errors)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ..errors import DiffcompareError
from ..timing import Timing

__all__ = ["TrainResult", "TrainingDivergedError", "TrainingBudgetError"]


class TrainingDivergedError(DiffcompareError):
    """The loss (or a gradient) became NaN/inf: training stops and says where."""

    def __init__(self, message, epoch=None, step=None):
        super().__init__(message)
        self.epoch, self.step = epoch, step


class TrainingBudgetError(DiffcompareError):
    """A run estimated to pass its time (or memory) budget, refused before the work."""

    def __init__(self, message, estimate=None, budget=None, kind="time"):
        super().__init__(message)
        self.estimate, self.budget, self.kind = estimate, budget, kind


@dataclass
class TrainResult:
    params: dict
    loss: float                       # final full training loss
    history: list                     # loss at each of history_epochs ([0]: before training)
    step_losses: list                 # the (batch) loss of the steps in step_index
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
    # the kept epochs' rows: "epoch", "loss", "steps" and "hvps" so far, "seconds" since start
    curve: dict = field(default_factory=dict)
    step_index: list = field(default_factory=list)

    @property
    def history_epochs(self):
        return self.curve.get("epoch", list(range(len(self.history))))

    def epoch_timing(self):
        """Seconds per epoch as a ``Timing``: median, min and max over the epochs (each kept
        row's time since the previous one over the epochs between them)."""
        e, s = np.asarray(self.curve["epoch"], float), np.asarray(self.curve["seconds"], float)
        per = np.diff(s) / np.maximum(np.diff(e), 1.0)
        per = per if per.size else np.array([self.seconds])
        return Timing(float(np.median(per)), float(per.min()), float(per.max()), int(per.size), 1)

    def as_dict(self):
        out = {"params": {k: (v.tolist() if isinstance(v, np.ndarray) else float(v))
                          for k, v in self.params.items()},
               "loss": self.loss, "history": list(map(float, self.history)),
               "history_epochs": list(map(int, self.history_epochs)),
               "method": self.method, "optimizer": self.optimizer, "lr": self.lr,
               "epochs": self.epochs, "steps": self.steps, "batch_size": self.batch_size,
               "seconds": self.seconds}
        if self.test_accuracy is not None:
            out["test_accuracy"] = self.test_accuracy
            out["train_accuracy"] = self.train_accuracy
        out["info"] = {k: v for k, v in self.info.items() if isinstance(v, (int, float, str))}
        return out
