"""Plain, flat, named records: what every experiment produces and every renderer reads.

A record is (section, model, method, setting, metric, value, unit, reference): no printing,
no files, no positional columns. Accuracy figures always name their ``reference``.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field

__all__ = ["Record", "to_json", "from_json", "select", "one"]


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

    def as_dict(self):
        d = asdict(self)
        v = d["value"]
        if isinstance(v, float) and not math.isfinite(v):
            d["value"] = repr(v)   # JSON has no nan/inf: keep them as text, readable back
        return d


def to_json(records, **meta):
    return json.dumps({"meta": meta, "records": [r.as_dict() for r in records]}, indent=1,
                      default=_default)


def _default(o):
    import numpy as np
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
