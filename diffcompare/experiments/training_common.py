"""What the training experiments share: the section key, one way to make a record, a
refusal as a structured record, and the lecture table's least-squares reference.

A gradient method that cannot run on a case is not an exception that ends the experiment:
it is a record (metric ``UNAVAILABLE``) whose ``extra`` says why in fields a renderer can
group by -- ``reason`` (``"backend"``: the method's module does not import; ``"failed"``:
it raised) and ``error`` (the exception's type) -- with the message as the value.
"""
from __future__ import annotations

import numpy as np

from .. import api, models
from ..records import Record

__all__ = ["SECTION", "UNAVAILABLE", "FINAL_LOSS", "GRADIENT_EVALS", "LS_REF", "record", "timing_record", "refusal", "attempt",
           "w_least_squares", "loss_least_squares"]

SECTION = "train"
UNAVAILABLE = "unavailable"
# metrics several training experiments record
FINAL_LOSS = "final_loss"
GRADIENT_EVALS = "gradient_evals"
LS_REF = "least squares w = Σxy/Σx²"


def record(model, method, metric, value, unit="", setting="", reference="", **extra):
    return Record(SECTION, model, method, metric, value, unit, setting, reference, extra)


def timing_record(model, method, metric, timing, setting="", reference="", **extra):
    """A record of a ``timing.Timing``: median with its spread (min, max, rounds)."""
    return Record.timing(SECTION, model, method, metric, timing, setting=setting,
                         reference=reference, extra=extra)


def refusal(model, method, setting, reason, exc=None, **extra):
    error = "" if exc is None else type(exc).__name__
    message = "backend not available" if exc is None else " ".join(str(exc).split())
    return record(model, method, UNAVAILABLE, f"{error}: {message}" if error else message,
                  setting=setting, reason=reason, error=error, **extra)


def attempt(method, fn):
    """``(fn(), None)``, or ``(None, (reason, exception))`` when the method's backend does not
    import or ``fn`` raises -- a peer method's failure never hides the others."""
    try:
        api.backend(method, {})
    except ImportError as e:
        return None, ("backend", e)
    try:
        return fn(), None
    except Exception as e:       # noqa: BLE001 -- recorded, never hidden
        return None, ("failed", e)


def w_least_squares():
    x, y = models.LECTURE_X, models.LECTURE_Y
    return float(np.sum(x * y) / np.sum(x * x))


def loss_least_squares():
    """The lowest mean loss ½(y − w x)² any w reaches on the lecture's table."""
    x, y = models.LECTURE_X, models.LECTURE_Y
    return float(np.mean(0.5 * (y - w_least_squares() * x) ** 2))
