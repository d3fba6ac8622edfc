"""THE loader of a user's code and data: ``MODULE:NAME`` targets and params files, for every
command that takes them (``check`` now; ``compare`` and ``report --model`` too).

    load_callable("mymodule:loss")       # imports mymodule (its top-level code runs), returns loss
    load_object("mymodule:PARAMS")       # any attribute, dotted paths allowed: "pkg.mod:obj.attr"
    load_params("p.json")                # JSON (a nested list, or an object name -> number/list),
                                         # .npz (name -> array) or .npy (one array)

Importing follows ``python -m``: the current folder is put first on ``sys.path``, then the
module is imported, so its top-level code runs. Nothing is evaluated from text: a target is
a module path and attribute names, checked as identifiers. Every failure is a typed one-line
error (``UserCodeError`` for code, ``BadParamsError`` for params): a syntax error or an
exception raised while importing (``SystemExit`` too) names the module, the error and, for a
syntax error, the file and line; a params file that is ragged, non-numeric, has a boolean
(``{"w": true}`` is refused, not read as 1.0), NaN/inf or nothing in it names the entry.
"""
from __future__ import annotations

import importlib
import json
import os
import sys

import numpy as np

from .errors import BadParamsError, DiffcompareError
from .params import check_params

__all__ = ["UserCodeError", "load_callable", "load_object", "load_params"]


class UserCodeError(DiffcompareError):
    """A MODULE:NAME that cannot be imported, found or called."""


def _clip(text, n=200):
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 3] + "..."


def _import(mod):
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        return importlib.import_module(mod)
    except SyntaxError as e:
        where = f" ({os.path.basename(e.filename or '?')}, line {e.lineno})" if e.lineno else ""
        raise UserCodeError(f"cannot import {mod!r}: SyntaxError{where}: {_clip(e.msg)}") from None
    except ModuleNotFoundError as e:
        if e.name and mod.split(".")[0] == e.name.split(".")[0] and mod.startswith(e.name):
            raise UserCodeError(f"cannot import {mod!r}: no such module in {cwd} or on sys.path") from None
        raise UserCodeError(f"importing {mod!r} failed: {_clip(e)}") from None
    except KeyboardInterrupt:
        raise
    except (Exception, SystemExit) as e:
        raise UserCodeError(f"importing {mod!r} raised {type(e).__name__}: {_clip(e)}") from None


def load_object(target):
    """``MODULE:NAME`` (dotted module path, dotted attribute path) -> the object."""
    mod, sep, attr = str(target).partition(":")
    parts = attr.split(".")
    if (not sep or not mod or not all(p.isidentifier() for p in mod.split("."))
            or not all(a.isidentifier() and not a.startswith("__") for a in parts)):
        raise UserCodeError(f"expected MODULE:NAME (e.g. mymodule:loss), got {_clip(target, 80)!r}")
    obj = _import(mod)
    for a in parts:
        try:
            obj = getattr(obj, a)
        except AttributeError:
            raise UserCodeError(f"module {mod!r} has no {attr!r}") from None
        except (Exception, SystemExit) as e:
            raise UserCodeError(f"reading {attr!r} of {mod!r} raised {type(e).__name__}: {_clip(e)}") from None
    return obj


def load_callable(target):
    """``MODULE:FUNC`` -> the callable (a typed error if it is not one)."""
    obj = load_object(target)
    if not callable(obj):
        raise UserCodeError(f"{target} is a {type(obj).__name__}, not a function")
    return obj


def _has_bool(v):
    if isinstance(v, bool):
        return True
    return isinstance(v, list) and any(_has_bool(x) for x in v)


def _value(name, v, where):
    """One params entry -> float or array, or a BadParamsError naming it (the checks are
    ``params.check_params``'s, plus booleans inside lists, which numpy would read as 1)."""
    label = f"{where}: {name!r}" if name is not None else where
    if _has_bool(v) or (isinstance(v, np.ndarray) and v.dtype.kind == "b"):
        raise BadParamsError(f"{label} holds a boolean (true/false), not a number")
    if (isinstance(v, list) and not v) or (isinstance(v, np.ndarray) and v.size == 0):
        raise BadParamsError(f"{label} is empty")
    try:
        return check_params({str(name): v})[str(name)]
    except BadParamsError as e:
        raise BadParamsError(f"{where}: {e}") from None


def load_params(source):
    """Params from a file (.json, .npz, .npy) or a ``MODULE:NAME`` object: a dict name ->
    float/array, or one array. Floats are float64 from JSON; .npz/.npy keep their dtype."""
    source = str(source)
    if not os.path.exists(source):
        if ":" in source and not source.endswith((".json", ".npz", ".npy")):
            data, where = load_object(source), source
        else:
            raise BadParamsError(f"params file {_clip(source, 120)!r} does not exist")
    else:
        data, where = _read(source), os.path.basename(source)
    if isinstance(data, dict):
        if not data:
            raise BadParamsError(f"{where} holds no params")
        return {str(k): _value(k, v, where) for k, v in data.items()}
    out = _value(None, data, where)
    return np.asarray(out) if isinstance(out, float) else out


def _read(path):
    name = os.path.basename(path)
    try:
        if path.endswith(".npy"):
            return np.load(path, allow_pickle=False)
        if path.endswith(".npz"):
            with np.load(path, allow_pickle=False) as z:
                return {k: z[k] for k in z.files}
        with open(path) as fh:
            return json.load(fh)
    except (OSError, ValueError, EOFError) as e:
        raise BadParamsError(f"cannot read params from {name}: {_clip(e)}") from None
