"""What a traced value shares in every mode (``tracer.Box`` for reverse mode, ``forward.Dual``
for forward mode): Python operators recorded from the primitive table, comparisons and
shape read off the primal, and a clear error when numpy or math is called behind the
namespace's back. Each mode supplies how ONE binary and ONE unary op are applied."""
from __future__ import annotations

import numpy as np

from .errors import TracerError
from .primitives import TABLE

__all__ = ["Traced", "primal"]


class Traced:
    """Base of the traced values: a primal ``value``; comparisons look at it (so Python
    control flow works on traced values); ``install`` adds the operators from the table."""

    __slots__ = ()
    __array_priority__ = 100.0      # ndarray (op) traced defers to traced.__r<op>__

    def __pos__(self): return self
    def __lt__(self, o): return self.value < primal(o)
    def __le__(self, o): return self.value <= primal(o)
    def __gt__(self, o): return self.value > primal(o)
    def __ge__(self, o): return self.value >= primal(o)
    def __bool__(self): return bool(self.value)
    def __len__(self): return len(self.value)
    shape = property(lambda self: np.shape(self.value))
    ndim = property(lambda self: np.ndim(self.value))
    size = property(lambda self: np.size(self.value))
    dtype = property(lambda self: np.result_type(self.value))

    def _escape(self, *_, **__):
        raise TracerError(
            "a numpy/math function (or float()) was called on a traced value behind the "
            "namespace's back: write xp.exp(...), xp.sum(...) etc. with the xp your function "
            "receives, never np.* or math.*")

    __array__ = __float__ = __int__ = __complex__ = __index__ = _escape

    @classmethod
    def install(cls, binary, unary):
        """Operators from the table: ``binary(prim, reflected)`` -> method for + - * / ** @
        (``__radd__`` and kin are reflected); ``unary(prim, x, kw)`` records neg, getitem, .T."""
        for op, row in (("add", "add"), ("sub", "sub"), ("mul", "mul"), ("truediv", "div"),
                        ("pow", "pow"), ("matmul", "matmul")):
            setattr(cls, f"__{op}__", binary(TABLE[row], False))
            setattr(cls, f"__r{op}__", binary(TABLE[row], True))
        neg, getitem, transpose = TABLE["neg"], TABLE["getitem"], TABLE["transpose"]
        cls.__neg__ = lambda self: unary(neg, self, None)
        cls.__getitem__ = lambda self, index: unary(getitem, self, {"index": index})
        cls.T = property(lambda self: unary(transpose, self, None))


def primal(x):
    """The primal value of a traced value, or ``x`` itself."""
    return x.value if isinstance(x, Traced) else x
