"""Values and settings typed on a command line, read as data -- never evaluated.

``parse_values("w=0.5,x=2")`` reads the point of an expression (``--at``): plain decimal
numbers with the same limits as a number literal in an expression (it overflows, underflows
to 0 or is too long: refused, never silently 0 or inf). ``parse_settings(["depth=5"])`` reads
model and method options (``--set``): ints, floats, words or comma lists.
"""
from __future__ import annotations

import math
import re
from fractions import Fraction

from .errors import BadOptionError, BadParamsError
from .expr import _NAME, MAX_NUMBER

__all__ = ["parse_values", "parse_value", "parse_settings"]

_VALUE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _short(text, n=40):
    """Text as echoed in an error: at most ``n`` characters (a 100,000-digit value is not
    echoed back)."""
    return text if len(text) <= n else f"{text[:n]}... ({len(text)} characters)"


def parse_values(items, names=None):
    """``["w=0.5,x=2", "b=0.1"]`` -> ``{"w": 0.5, "x": 2.0, "b": 0.1}``: plain decimal
    numbers read with ``float()``, never evaluated. With ``names``, every name must get a
    value and no other name may."""
    if isinstance(items, str):
        items = [items]
    values = {}
    for item in items:
        for part in item.split(","):
            part = part.strip()
            if not part:
                continue
            key, sep, val = part.partition("=")
            key, val = key.strip(), val.strip()
            if not sep or not _NAME.fullmatch(key) or not key.isascii():
                raise BadParamsError(f"expected NAME=NUMBER, got {_short(part)!r}")
            if len(val) > MAX_NUMBER or not _VALUE.fullmatch(val):
                why = f"{len(val)} characters long" if len(val) > MAX_NUMBER else f"not one: {_short(val)!r}"
                raise BadParamsError(f"the value of {_short(key)} must be a plain decimal number ({why})")
            v = float(val)
            if not math.isfinite(v):
                raise BadParamsError(f"the value of {key} ({_short(val)}) overflows a float")
            if v == 0.0 and Fraction(val) != 0:
                raise BadParamsError(f"the value of {key} ({_short(val)}) underflows to 0 in a float")
            if key in values:
                raise BadParamsError(f"{key} is given twice")
            values[key] = v
    if names is not None:
        missing = [n for n in names if n not in values]
        if missing:
            example = ",".join(f"{n}=1.0" for n in missing)
            raise BadParamsError(f"no value for {', '.join(missing)}: every name in the "
                                 f"expression needs one (e.g. --at {example})")
        extra = [k for k in values if k not in names]
        if extra:
            raise BadParamsError(f"{', '.join(extra)} {'is' if len(extra) == 1 else 'are'} not "
                                 f"in the expression (its names: {', '.join(names) or 'none'})")
        values = {n: values[n] for n in names}
    return values


def parse_value(text):
    """An option value: int, float, a comma list of them, or a bare word -- never code."""
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    if "," in text:
        return tuple(parse_value(t) for t in text.split(","))
    return text


def parse_settings(items, option="--set"):
    """``["depth=5", "width=2"]`` -> ``{"depth": 5, "width": 2}``."""
    out = {}
    for item in items:
        key, sep, val = item.partition("=")
        if not sep or not key.isidentifier():
            raise BadOptionError(f"{option} expects KEY=VALUE, got {_short(item)!r}")
        out[key] = parse_value(val)
    return out
