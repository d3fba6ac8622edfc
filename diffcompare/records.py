"""Plain, flat, named records: what every experiment produces and every renderer reads.

A record is (section, model, method, setting, metric, value, unit, reference): no printing,
no files, no positional columns. Accuracy figures always name their ``reference``; a timing
keeps its spread (``lo``/``hi``: the fastest and slowest round, ``repeats`` rounds) beside
its median ``value`` -- ``Record.timing`` makes one from a ``timing.Timing``.

Metric names are constants of the experiment that produces them (``experiments/*.py``),
imported by the renderers that read them: a renamed metric is an ImportError, never a
section that silently says "not measured".
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field

import numpy as np

__all__ = ["Record", "to_json", "from_json", "select", "one", "is_number"]


@dataclass(frozen=True)
class Record:
    section: str
    model: str
    method: str
    metric: str
    value: object                 # float, int, str or None (e.g. "intractable")
    unit: str = ""
    setting: str = ""             # "h=1e-05", "depth=4", "float32", ...
    reference: str = ""           # what an error was measured against
    extra: dict = field(default_factory=dict, compare=False, hash=False)
    lo: float | None = None       # spread of a timing: fastest round
    hi: float | None = None       # slowest round
    repeats: int | None = None    # rounds the median is over

    @classmethod
    def timing(cls, section, model, method, metric, t, **kw):
        """A record of a ``timing.Timing``: its median, with min/max and repeats kept."""
        return cls(section, model, method, metric, t.median, "s", lo=t.min, hi=t.max,
                   repeats=t.repeats, **kw)

    def as_dict(self):
        d = asdict(self)
        v = d["value"]
        if isinstance(v, float) and not math.isfinite(v):
            d["value"] = repr(v)   # JSON has no nan/inf: keep them as text, readable back
        return d


def to_json(records, **meta):
    return json.dumps({"meta": meta, "records": [r.as_dict() for r in records]}, indent=1,
                      default=_default)


def is_number(v):
    """A real number a figure can show: int (exact big ints included) or finite float, not
    bool, not a numpy array."""
    if isinstance(v, bool):
        return False
    if isinstance(v, int):
        return True
    try:
        return isinstance(v, (float, np.floating, np.integer)) and math.isfinite(v)
    except OverflowError:
        return False


def _default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def from_json(text):
    data = json.loads(text)
    out = []
    for d in data["records"]:
        if d["value"] in ("nan", "inf", "-inf"):
            d["value"] = float(d["value"])
        out.append(Record(**d))
    return data.get("meta", {}), out


def select(records, **where):
    """Records whose fields equal every given value."""
    return [r for r in records if all(getattr(r, k) == v for k, v in where.items())]


def one(records, **where):
    found = select(records, **where)
    if len(found) != 1:
        raise LookupError(f"expected one record for {where}, found {len(found)}")
    return found[0]
