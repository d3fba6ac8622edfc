"""What a report section is, and the formatting every renderer shares (the only place numbers
become text).

A section module (``report/sections/<key>.py``) imports its experiment directly and defines
``SECTION = Section(key, title, intro, run, figures, conclude, tables)``: ``run`` is the
experiment's ``run(quick, progress)``; the other three read records and return figures
(``[(name, () -> Figure, caption)]``), sentences and tables. A section computes nothing.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from ..records import is_number

__all__ = ["Section", "fmt_err", "fmt_s", "fmt_x", "big", "num"]


@dataclass
class Section:
    key: str
    title: str
    intro: str
    run: Callable                     # (quick, progress) -> [Record]
    figures: Callable                 # records -> [(name, () -> Figure, caption)]
    conclude: Callable                # records -> [str]
    tables: Callable | None = None    # records -> [(caption, header, rows)]
    derived: bool = False


def num(r):
    """The record's value is a number a sentence or a figure can show."""
    return is_number(r.value)


def fmt_err(x):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "nan"
    return "0" if x == 0 else f"{x:.1e}"


def fmt_s(s):
    if s is None:
        return "?"
    for unit, k in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if s >= k:
            return f"{s / k:.3g} {unit}"
    return f"{s * 1e9:.3g} ns"


def fmt_x(x):
    return f"{x:.3g}×"



def big(n):
    """An exact big integer (an expression size) as 1.95e6 past ten million, else 1,234,567."""
    if isinstance(n, int) and n >= 10 ** 7:
        s = str(n)
        return f"{s[0]}.{s[1:3]}e{len(s) - 1}"
    return f"{n:,}" if isinstance(n, int) else f"{n:.3g}"
