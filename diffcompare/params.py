"""THE params layout: a dict of name -> float or array <-> one flat vector ``theta``, and the
checks every method shares (params, numbers, scalar outputs).

Every module that flattens goes through ``Layout``: the order is the dict's order, each
array raveled in C order -- the order of ``dc.hessian``'s rows, of gradcheck's entry names
and of the optimizers' vectors.

    >>> L = Layout({"W": np.zeros((2, 3)), "b": 0.5})
    >>> L.n, L.name(4), L.unflatten(L.flatten({"W": np.ones((2, 3)), "b": 2.0}))["b"]
    (7, 'W[1, 1]', 2.0)
"""
from __future__ import annotations

import numbers

import numpy as np

from .errors import BadParamsError, NonScalarOutputError

__all__ = ["Layout", "check_params", "flatten", "unflatten", "size", "like", "is_real",
           "scalar_output"]


class Layout:
    """Where each param lives in ``theta``: names, shapes, dtypes, slices. Floats stay
    floats, arrays keep their shape and dtype (float32 params come back float32).
    ``Layout(x)`` for a bare array or number (not a dict) names it ``x`` and ``unflatten``
    returns a bare value again."""

    __slots__ = ("single", "names", "shapes", "dtypes", "scalars", "slices", "n")

    def __init__(self, params, error=BadParamsError):
        self.single = not isinstance(params, dict)
        items = {"x": params} if self.single else params
        if not items:
            raise error("params is empty: give a dict of name -> float or array")
        self.names, self.shapes, self.dtypes, self.scalars, self.slices = [], [], [], [], []
        i = 0
        for name, v in items.items():
            a = np.asarray(v)
            self.names.append(str(name))
            self.shapes.append(a.shape)
            self.dtypes.append(a.dtype if a.dtype.kind == "f" else np.dtype(np.float64))
            self.scalars.append(not isinstance(v, np.ndarray))
            self.slices.append(slice(i, i + a.size))
            i += a.size
        self.n = i

    def flatten(self, params, dtype=np.float64):
        """theta: every entry, in layout order, as one vector (float64 by default)."""
        if self.single:
            params = {"x": params}
        out = np.empty(self.n, dtype=dtype)
        for name, sl in zip(self.names, self.slices):
            out[sl] = np.ravel(params[name])
        return out

    def unflatten(self, theta, cast=True):
        """A dict (or bare value) shaped like the params; ``cast``: in each param's dtype."""
        theta = np.asarray(theta)
        if theta.shape != (self.n,):
            raise BadParamsError(f"theta has shape {theta.shape}, the params {self.n} entries")
        out = {}
        for name, sl, shape, dt, scalar in zip(self.names, self.slices, self.shapes, self.dtypes,
                                               self.scalars):
            chunk = theta[sl]
            if cast:
                chunk = chunk.astype(dt, copy=False)
            if scalar:
                v = chunk[0]
                out[name] = float(v) if dt == np.float64 or not cast else dt.type(v)
            else:
                out[name] = chunk.reshape(shape).copy() if chunk.base is theta else chunk.reshape(shape)
        return out["x"] if self.single else out

    def split(self, theta):
        """``theta``'s entries as a dict like the params, by slicing and reshaping only: for a
        vector of another library's traced values (autograd's boxes)."""
        out = {name: theta[sl.start] if scalar else theta[sl].reshape(shape)
               for name, sl, shape, scalar in zip(self.names, self.slices, self.shapes, self.scalars)}
        return out["x"] if self.single else out

    def locate(self, k):
        """Flat index -> (name, index tuple)."""
        for name, sl, shape in zip(self.names, self.slices, self.shapes):
            if sl.start <= k < sl.stop:
                return name, tuple(int(i) for i in np.unravel_index(k - sl.start, shape)) if shape else ()
        raise IndexError(k)

    def name(self, k):
        """Flat index -> a readable entry name: ``W1[0, 2]``, ``b`` (a scalar param)."""
        name, idx = self.locate(k)
        return f"{name}[{', '.join(map(str, idx))}]" if idx else name

    def eps(self):
        """Per entry, the machine epsilon of its param's dtype."""
        out = np.empty(self.n)
        for sl, dt in zip(self.slices, self.dtypes):
            out[sl] = np.finfo(dt).eps
        return out

    def same(self, params):
        """True when ``params`` have this layout's names and shapes."""
        if self.single:
            return np.shape(params) == self.shapes[0]
        return (isinstance(params, dict) and list(map(str, params)) == self.names
                and all(np.shape(params[k]) == s for k, s in zip(params, self.shapes)))


def is_real(v):
    """A real number (Python or numpy scalar), not a bool."""
    return isinstance(v, (numbers.Real, np.floating, np.integer)) and not isinstance(v, (bool, np.bool_))


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
        if not is_real(v) and not isinstance(v, (np.ndarray, list, tuple)):
            raise BadParamsError(f"param {name!r} must be a float or an array, got {type(v).__name__}")
        if isinstance(v, (np.ndarray, list, tuple)):
            try:
                a = np.asarray(v)
            except ValueError:
                raise BadParamsError(f"param {name!r} is a ragged list (rows of different lengths)") from None
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


def scalar_output(out, what="the function"):
    """``out`` if it is a scalar (a number, a 0-d array, a traced or symbolic scalar), else
    NonScalarOutputError naming its shape or type -- the ONE check every method applies."""
    if out is None or isinstance(out, (str, bytes, dict, list, tuple, set)):
        raise NonScalarOutputError(
            f"{what} returned {type(out).__name__}, not a number: a loss must return a scalar")
    shape = getattr(out, "shape", None)
    if shape is None:
        shape = np.shape(out)
    if tuple(shape) != ():
        raise NonScalarOutputError(
            f"{what} returned an array of shape {tuple(shape)}; gradients need a scalar output "
            "(sum or mean it)")
    return out


def size(params):
    return int(sum(np.size(v) for v in params.values()))


def flatten(params):
    """theta: the params' entries, in dict order, as one float64 vector."""
    return Layout(params).flatten(params) if params else np.zeros(0)


def unflatten(theta, template):
    """The inverse of ``flatten``: a dict shaped like ``template`` (floats stay floats)."""
    return Layout(template).unflatten(np.asarray(theta))


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

