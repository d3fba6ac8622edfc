"""The report's sections, in page order: each module imports its experiment directly."""
from __future__ import annotations

from . import accuracy, gradcheck, second, speed, stability, summary, swell, training

__all__ = ["SECTIONS", "by_key"]

SECTIONS = [m.SECTION for m in (summary, accuracy, swell, speed, second, stability, training, gradcheck)]


def by_key(key):
    for s in SECTIONS:
        if s.key == key:
            return s
    raise KeyError(key)
