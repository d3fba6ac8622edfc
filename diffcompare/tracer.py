"""Reverse mode: boxed values, the tape (a Wengert list), the backward sweep.

Running ``f(params, TRACER)`` on boxed params records every primitive op on a tape::

    >>> from diffcompare import models
    >>> tape = trace(models.get("neuron"), {"w": 0.5, "b": 0.1})
    >>> print(tape)              # doctest: +SKIP
    t1 = w*x        = 1
    z  = t1 + b     = 1.1
    ...

Why a flat list: an entry is appended only after its arguments exist, so the append order
already IS a topological order -- the backward sweep is one reversed loop (no recursion, so
a 100,000-op chain is fine) with cotangents accumulated in a local dict, and nodes are
never mutated (nothing to zero between calls, no global state: the tape travels with the
boxes).
"""
from __future__ import annotations

import numpy as np

from .errors import NonScalarOutputError, TracerError
from .primitives import TABLE, unbroadcast

__all__ = ["Box", "Tape", "trace", "record", "make"]


class Tape:
    """The recorded program. ``entries[i] = (prim, links, args, out, kw)`` where ``links`` is
    ``((arg_position, parent_entry), ...)`` for the traced arguments; a leaf (an input) has
    ``prim = None``."""

    __slots__ = ("entries", "labels", "inputs", "output")

    def __init__(self):
        self.entries, self.labels, self.inputs, self.output = [], {}, {}, None

    def leaf(self, value, label):
        self.entries.append((None, (), (), value, None))
        i = len(self.entries) - 1
        self.labels[i] = label
        self.inputs[label] = i
        return Box(value, self, i)

    def __len__(self):
        """Number of primitive ops recorded (inputs not counted)."""
        return len(self.entries) - len(self.inputs)

    @property
    def value(self):
        return self.entries[self.output][3]

    def backward(self, root=None, seed=1.0, keep=False, xp=None):
        """Cotangents of the inputs (or of every node, with ``keep``), by one reversed sweep.
        The partials are evaluated in namespace ``xp`` (NUMPY by default; SYMPY on a tape
        recorded over SymPy values builds the derivative as an expression DAG)."""
        root = self.output if root is None else root
        # On numbers, a constant partial (add: 1, sub: -1) is not multiplied in; SymPy keeps
        # the table's literal form.
        consts = _CONSTANT if xp is None or xp is _NP else {}
        xp = _NP if xp is None else xp
        entries, bars, done = self.entries, {root: seed}, {}
        pop = bars.pop
        for i in range(root, -1, -1):
            ybar = pop(i, None)
            if ybar is None:
                continue
            prim, links, args, out, kw = entries[i]
            if prim is None:
                done[i] = ybar
                continue
            if keep:
                done[i] = ybar
            rules = prim.partials
            if rules is not None:                    # elementwise: ybar * local partial
                c = consts.get(prim.name)
                for k, p in links:
                    if c is None:
                        d = rules[k](xp, out, *args)
                        g = _times(ybar, d, out, args) if d.__class__ is _ARRAY else ybar * d
                    else:
                        g = ybar if c[k] == 1.0 else -ybar if c[k] == -1.0 else ybar * c[k]
                    if g.__class__ is not float:     # undo broadcasting, unless shapes agree
                        a = args[k]
                        if g.__class__ is not _ARRAY or a.__class__ is not _ARRAY or g.shape != a.shape:
                            g = unbroadcast(g, a)
                    bars[p] = bars[p] + g if p in bars else g
            elif prim.vjps is not None:              # structural: explicit vjp
                vjps = prim.vjps
                for k, p in links:
                    g = vjps[k](ybar, out, *args, **kw) if kw else vjps[k](ybar, out, *args)
                    bars[p] = bars[p] + g if p in bars else g
            # else: no gradient (step, sign) -- the cotangent stops here
        return done

    def format(self, adjoints=False, digits=6):
        """The lecture's listing: one primitive op per line with its forward value, then
        (on request) the backward pass with each adjoint dL/dnode."""
        names = dict(self.labels)
        k = 0
        for i, e in enumerate(self.entries):
            if e[0] is not None:
                k += 1
                names.setdefault(i, f"t{k}")
        fmt = lambda v: _fmt(v, digits)
        rows = []
        for i, (prim, links, args, out, kw) in enumerate(self.entries):
            if prim is None:
                continue
            shown = [fmt(a) for a in args]
            for pos, p in links:
                shown[pos] = names[p]
            rows.append((names[i], prim.show.format(*shown, **(kw or {})), fmt(out)))
        w0 = max((len(r[0]) for r in rows), default=1)
        w1 = max((len(r[1]) for r in rows), default=1)
        lines = ["forward:"] if adjoints else []
        lines += [f"{a:<{w0}} = {b:<{w1}}  = {c}" for a, b, c in rows]
        if adjoints and self.output is not None:
            out = names[self.output]
            lines.append("backward:")
            bars = self.backward(keep=True)
            for i in sorted(bars, reverse=True):
                lines.append(f"d{out}/d{names[i]} = {fmt(bars[i])}")
        return "\n".join(lines)

    def __str__(self):
        return self.format()

    def __repr__(self):
        return f"<Tape: {len(self)} ops, {len(self.inputs)} inputs>"


def _fmt(v, digits):
    if isinstance(v, (float, int, np.floating, np.integer)) or np.ndim(v) == 0:
        return f"{float(v):.{digits}g}"
    return f"<array {'x'.join(map(str, np.shape(v)))}>"


_ADD, _SUB, _MUL, _DIV, _POW, _NEG, _MATMUL, _GETITEM, _TRANSPOSE = (
    TABLE[n] for n in ("add", "sub", "mul", "div", "pow", "neg", "matmul", "getitem", "transpose"))


def _recorder(prim, reflected=False):
    """``f(x[, y])`` that computes a unary or binary row on primals and, if an argument is
    traced, appends the entry and returns a new Box. Also Box's operator methods (with
    ``reflected`` for ``__radd__`` and kin, whose Box comes second)."""
    impl = prim.impl
    if prim.nargs == 1:
        def unary(x, **kw):
            if x.__class__ is not Box:
                return impl(x, **kw)
            if kw:                                   # metadata: axis=, shape=, ...
                return _unary(prim, x, kw)
            tape, xv = x.tape, x.value
            out = impl(xv)
            entries = tape.entries
            entries.append((prim, ((0, x.index),), (xv,), out, None))
            return Box(out, tape, len(entries) - 1)
        return unary

    def binary(x, y):
        if reflected:
            x, y = y, x
        if x.__class__ is Box:
            tape, xv = x.tape, x.value
            if y.__class__ is Box:
                if y.tape is not tape:
                    raise TracerError("values from two different traces were mixed in one op")
                yv, links = y.value, ((0, x.index), (1, y.index))
            else:
                yv, links = y, ((0, x.index),)
        elif y.__class__ is Box:
            tape, xv, yv, links = y.tape, x, y.value, ((1, y.index),)
        else:
            return impl(x, y)
        out = impl(xv, yv)
        entries = tape.entries
        entries.append((prim, links, (xv, yv), out, None))
        return Box(out, tape, len(entries) - 1)
    return binary


class Box:
    """A value being traced: its primal ``value``, the ``tape`` and its entry ``index``."""

    __slots__ = ("value", "tape", "index")
    __array_priority__ = 100.0      # ndarray (op) Box defers to Box.__r<op>__

    def __init__(self, value, tape, index):
        self.value, self.tape, self.index = value, tape, index

    # Operators record directly (one Python call per op: this is the hot path).
    __add__, __radd__ = _recorder(_ADD), _recorder(_ADD, reflected=True)
    __sub__, __rsub__ = _recorder(_SUB), _recorder(_SUB, reflected=True)
    __mul__, __rmul__ = _recorder(_MUL), _recorder(_MUL, reflected=True)
    __truediv__, __rtruediv__ = _recorder(_DIV), _recorder(_DIV, reflected=True)
    __pow__, __rpow__ = _recorder(_POW), _recorder(_POW, reflected=True)
    __matmul__, __rmatmul__ = _recorder(_MATMUL), _recorder(_MATMUL, reflected=True)
    __neg__ = _recorder(_NEG)
    def __pos__(self): return self
    def __getitem__(self, index): return _unary(_GETITEM, self, {"index": index})
    # Comparisons look at the primal, so Python control flow works on traced values.
    def __lt__(self, o): return self.value < _primal(o)
    def __le__(self, o): return self.value <= _primal(o)
    def __gt__(self, o): return self.value > _primal(o)
    def __ge__(self, o): return self.value >= _primal(o)
    def __bool__(self): return bool(self.value)
    def __len__(self): return len(self.value)

    shape = property(lambda self: np.shape(self.value))
    ndim = property(lambda self: np.ndim(self.value))
    size = property(lambda self: np.size(self.value))
    dtype = property(lambda self: np.result_type(self.value))
    T = property(lambda self: _unary(_TRANSPOSE, self, None))

    def _escape(self, *_, **__):
        raise TracerError(
            "a numpy/math function (or float()) was called on a traced value behind the "
            "namespace's back: write xp.exp(...), xp.sum(...) etc. with the xp your function "
            "receives, never np.* or math.*")

    __array__ = __float__ = __int__ = __complex__ = __index__ = _escape

    def __repr__(self):
        return f"Box({self.value!r}, index={self.index})"


def _primal(x):
    return x.value if x.__class__ is Box else x


def _unary(prim, x, kw):
    tape = x.tape
    out = prim.impl(x.value, **kw) if kw else prim.impl(x.value)
    entries = tape.entries
    entries.append((prim, ((0, x.index),), (x.value,), out, kw))
    return Box(out, tape, len(entries) - 1)


def _apply(prim, args, kw):
    """General case (any arity): record if any argument is traced, else just compute."""
    tape, links, vals = None, [], []
    for k, a in enumerate(args):
        if a.__class__ is Box:
            if tape is not None and a.tape is not tape:
                raise TracerError("values from two different traces were mixed in one op")
            tape = a.tape
            links.append((k, a.index))
            vals.append(a.value)
        else:
            vals.append(a)
    out = prim.impl(*vals, **kw)
    if tape is None:
        return out
    tape.entries.append((prim, tuple(links), tuple(vals), out, kw or None))
    return Box(out, tape, len(tape.entries) - 1)


def traced(prim):
    """The TRACER namespace's function for one row of the table."""
    if prim.nargs <= 2:
        f = _recorder(prim)
    else:
        def f(*args, **kw):
            return _apply(prim, args, kw)
    f.__name__ = prim.name
    return f

_NP = None  # the NUMPY namespace, bound by namespaces.py (partials are written against xp)
_ARRAY = np.ndarray


def _times(ybar, d, out, args):
    """``ybar * d`` for an array partial ``d``, in place when ``d`` is a temporary the rule
    just made (tanh's ``1 - out*out``): one big allocation fewer per op."""
    if ybar.__class__ is _ARRAY and d.base is None and d.shape == ybar.shape \
            and d.dtype == ybar.dtype and d is not out and all(d is not a for a in args):
        return np.multiply(d, ybar, out=d)
    return ybar * d


def _constant_partials(prim):
    """``(c_0, c_1, ...)`` when every partial of an elementwise row is a constant number
    (add: 1, 1; sub: 1, -1; neg: -1), else None. Read off the table itself: a partial that
    returns a float when handed opaque objects cannot depend on them."""
    o = object()
    try:
        cs = tuple(rule(o, o, *[o] * prim.nargs) for rule in prim.partials)
    except Exception:
        return None
    return cs if all(c.__class__ is float for c in cs) else None


_CONSTANT = {r.name: c for r in TABLE.values() if r.partials is not None
             and (c := _constant_partials(r)) is not None}


def trace(f, params, data=None):
    """Run ``f(params, TRACER)`` and return its tape (``print(tape)`` lists the primitive
    ops). ``data`` (name -> value) are traced as named inputs too, so they print by name; for
    a catalogue model its scalar data are, by default (``t1 = w*x``, not ``t1 = w*2``)."""
    from .models import Model
    if data is None and isinstance(f, Model):
        data = {k: v for k, v in f.data.items() if isinstance(v, float)}
    return record(f, params, data)


def record(f, params, data=None):
    from .namespaces import TRACER
    tape = Tape()
    leaf = tape.leaf
    boxes = {k: leaf(v, k) for k, v in params.items()}
    extra = {k: leaf(v, k) for k, v in data.items()} if data else {}
    out = f(boxes, TRACER, **extra)
    if out.__class__ is not Box:
        out = leaf(out, "const")
    if out.value.__class__ is not float and np.ndim(out.value) != 0:
        raise NonScalarOutputError(
            f"the function returned an array of shape {np.shape(out.value)}; gradients need a "
            "scalar output (sum or mean it)")
    tape.output = out.index
    return tape


def make(f, params, **options):
    """The ``autodiff`` method: trace and sweep on every call (the trace is cheap)."""
    if options:
        raise TypeError(f"method 'autodiff' takes no options, got {sorted(options)}")

    def call(params):
        tape = record(f, params)
        bars = tape.backward()
        grads = {}
        for name, v in params.items():
            g = bars.get(tape.inputs[name])
            if g is None:
                g = np.zeros_like(v) if isinstance(v, np.ndarray) else 0.0
            grads[name] = g
        return tape.value, grads, {"tape_length": len(tape)}
    return call
