"""The vocabulary every ``xp`` namespace offers, read off the primitive table: the
``Namespace`` bag, ``NUMPY`` (the table's primal column) and ``namespace(name, op)``, how a
mode (the tracer, forward mode) builds its own namespace from the rows. Kept apart from
``namespaces.py`` so the modes can import it without importing each other."""
from __future__ import annotations

from .errors import UnknownOpError
from .primitives import ROWS

__all__ = ["Namespace", "NUMPY", "VOCABULARY", "namespace"]

VOCABULARY = tuple(r.name for r in ROWS if r.name not in ("add", "sub", "mul", "div", "neg", "pow")) + ("name",)


class Namespace:
    """A named bag of functions; asking for a function it lacks is a clear error."""

    def __init__(self, name, functions):
        self.__name__ = name
        self._functions = dict(functions)
        self.__dict__.update(self._functions)

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        raise UnknownOpError(
            f"namespace {self.__name__} has no op {attr!r}: models may use only "
            f"{', '.join(VOCABULARY)} and Python operators. To add an op, add one row to "
            "ROWS in diffcompare/primitives.py (primal, SymPy primal, one partial per argument)")

    def __repr__(self):
        return f"<xp {self.__name__}>"


def _identity_name(x, label):
    return x


def _keyword_metadata(prim, fn):
    """Let a structural row take its metadata positionally too (``xp.reshape(a, (3, 1))``,
    ``xp.sum(a, 0)``), as numpy does; the modes' functions take it by keyword."""
    if prim.elementwise or prim.nargs != 1:
        return fn
    names = prim.vjps[0].__code__.co_varnames[4:prim.vjps[0].__code__.co_argcount]

    def f(x, *meta, **kw):
        if not meta:
            return fn(x, **kw)
        if len(meta) > len(names):
            raise TypeError(f"{prim.name}() takes at most {len(names)} metadata arguments")
        return fn(x, **dict(zip(names, meta), **kw))
    f.__name__ = prim.name
    return f


def namespace(name, op, label=_identity_name):
    """The namespace of one mode: ``op(prim)`` is its function for a row; ``label(x, name)``
    names a value (the tracer records it, elsewhere the identity)."""
    fns = {r.name: _keyword_metadata(r, op(r)) for r in ROWS}
    fns["name"] = label
    return Namespace(name, fns)


NUMPY = Namespace("NUMPY", dict({r.name: r.impl for r in ROWS}, name=_identity_name))
