"""The gradient-check benchmark: seeded bugs in hand-written gradients, scored for our check
and its peers (detection rate, false alarms), per dtype."""
from __future__ import annotations

from .. import bugsuite
from . import silent

__all__ = ["run"]


def run(quick=False, progress=silent):
    progress("gradient checks: seeded bugs")
    return bugsuite.records(quick)
