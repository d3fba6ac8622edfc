"""Params dict <-> flat vector ``theta``, and the checks every method shares."""
from __future__ import annotations

import numbers

import numpy as np

from .errors import BadParamsError

__all__ = ["check_params", "flatten", "unflatten", "size", "like"]


def check_params(params, allow_nonfinite=False):
    """Return params as a dict of Python floats and float ndarrays, or raise BadParamsError
    naming the offending entry (not a dict, not numeric, NaN/inf)."""
    if not isinstance(params, dict) or not params:
        raise BadParamsError(f"params must be a non-empty dict of name -> float or array, "
                             f"got {type(params).__name__}")
    out = {}
    for name, v in params.items():
        if v.__class__ is float and v - v == 0.0:      # the common case, cheaply (inf-inf is nan)
            out[name] = v
            continue
        if (v.__class__ is np.ndarray and v.dtype.kind == "f" and v.ndim and isinstance(name, str)
                and (allow_nonfinite or np.isfinite(v).all())):
            out[name] = v
            continue
        if not isinstance(name, str):
            raise BadParamsError(f"param names must be strings, got {name!r}")
        if isinstance(v, bool) or not isinstance(v, (numbers.Real, np.ndarray, list, tuple)):
            raise BadParamsError(f"param {name!r} must be a float or an array, got {type(v).__name__}")
        if isinstance(v, (np.ndarray, list, tuple)):
            a = np.asarray(v)
            if a.dtype.kind not in "fiu":
                raise BadParamsError(f"param {name!r} must be real numbers, got dtype {a.dtype}")
            v = a.astype(np.float64) if a.dtype.kind in "iu" else a
            if v.ndim == 0:
                v = float(v)
        else:
            v = float(v) if not isinstance(v, np.floating) else v
        if not allow_nonfinite and not np.all(np.isfinite(v)):
            bad = np.argwhere(~np.isfinite(np.atleast_1d(v)))[0]
            where = "" if np.ndim(v) == 0 else f" at index {tuple(int(i) for i in bad)}"
            raise BadParamsError(f"param {name!r} holds a NaN or inf{where}")
        out[name] = v
    return out


def size(params):
    return int(sum(np.size(v) for v in params.values()))


def flatten(params):
    """theta: the params' entries, in dict order, as one float64 vector."""
    return np.concatenate([np.ravel(np.asarray(v, dtype=np.float64)) for v in params.values()]) \
        if params else np.zeros(0)


def unflatten(theta, template):
    """The inverse of ``flatten``: a dict shaped like ``template`` (floats stay floats)."""
    out, i = {}, 0
    for name, v in template.items():
        n = int(np.size(v))
        chunk = theta[i:i + n]
        if isinstance(v, np.ndarray):
            out[name] = np.asarray(chunk, dtype=v.dtype).reshape(v.shape)
        else:
            out[name] = float(chunk[0]) if np.ndim(chunk) else chunk
        i += n
    if i != len(theta):
        raise BadParamsError(f"theta has {len(theta)} entries, the params {i}")
    return out


def like(grads, template):
    """Cast a gradient dict to the template's structure: floats for floats, arrays of the
    param's shape for arrays."""
    out = {}
    for name, v in template.items():
        g = grads[name]
        if v.__class__ is float and g.__class__ is float:
            out[name] = g
        elif g.__class__ is np.ndarray and v.__class__ is np.ndarray and g.shape == v.shape and g.dtype == v.dtype:
            out[name] = g
        elif isinstance(v, np.ndarray):
            out[name] = np.asarray(g, dtype=np.result_type(v, np.float32)).reshape(v.shape) \
                if np.size(g) == v.size else np.broadcast_to(g, v.shape).astype(v.dtype)
        else:
            out[name] = float(np.real(g)) if np.ndim(g) == 0 else float(np.sum(g))
    return out
