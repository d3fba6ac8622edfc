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
boxes). The garbage collector is paused while recording: an op makes four tracked objects,
and collections during a long trace would make the per-op cost grow with depth.
"""
from __future__ import annotations

import functools
import gc
import operator
from typing import NamedTuple

import numpy as np

from .errors import TracerError
from .params import check_params, scalar_output
from .primitives import unbroadcast
from .traced import Traced
from .vocabulary import NUMPY, namespace

__all__ = ["Box", "Tape", "Entry", "TRACER", "trace", "record", "gradient", "make", "collector_paused"]


class Entry(NamedTuple):
    """One tape entry. ``links`` pairs (argument position, parent entry) for the traced
    arguments; an input has ``prim`` None. The tape stores plain tuples of this layout (a
    NamedTuple costs ten times a tuple to build, on the hot path); ``Tape.ops`` names them."""
    prim: object
    links: tuple
    args: tuple
    out: object
    kw: dict | None


class Tape:
    """The recorded program: ``entries`` (tuples laid out as ``Entry``), ``labels`` (entry ->
    name), ``inputs`` (name -> entry), ``output`` (the result's entry), and ``guards``: the
    Python control flow that read a traced value (a comparison, ``bool()``), as
    ``(after entry, op, entry, other entry or None, other constant, result)`` -- what a
    compiled program must re-check (compiled.py)."""

    __slots__ = ("entries", "labels", "inputs", "output", "guards", "lead")

    def __init__(self):
        self.entries, self.labels, self.inputs, self.output, self.guards = [], {}, {}, None, []
        self.lead = 0             # how many entries at the start are inputs (record's leaves)

    def leaf(self, value, label):
        self.entries.append((None, (), (), value, None))
        i = len(self.entries) - 1
        self.labels[i] = label
        self.inputs[label] = i
        return Box(value, self, i)

    def ops(self):
        """The entries as named ``Entry`` tuples."""
        return [Entry._make(e) for e in self.entries]

    def __len__(self):
        """Number of primitive ops recorded (inputs not counted)."""
        return len(self.entries) - len(self.inputs)

    @property
    def value(self):
        return self.entries[self.output][3]

    def backward(self, root=None, seed=None, keep=False, xp=NUMPY):
        """Cotangents of the inputs (or of every node, with ``keep``), by one reversed sweep.
        The partials are evaluated in namespace ``xp`` (SYMPY on a tape recorded over SymPy
        values builds the derivative as an expression DAG). The seed is 1 in the output's own
        float type, so a float32 model's cotangents stay float32."""
        root = self.output if root is None else root
        if seed is None:
            out = self.entries[root][3]
            seed = 1.0 if out.__class__ is float or out.__class__ is np.float64 else \
                out.dtype.type(1) if isinstance(out, (np.floating, np.ndarray)) and out.dtype.kind == "f" \
                and out.dtype != np.float64 else 1.0
        # A constant partial (add: 1, sub: -1) is not multiplied in -- on numbers and dual
        # numbers; SymPy keeps the table's literal form.
        consts = xp is NUMPY or getattr(xp, "__name__", "") != "SYMPY"
        entries, done, ndarray = self.entries, {}, np.ndarray
        bars = [None] * (root + 1)                    # cotangents by entry: a list, not a dict
        bars[root] = seed
        lead = 0 if keep else min(self.lead, root + 1)     # the leading inputs: read at the end
        for i in range(root, lead - 1, -1):
            ybar = bars[i]
            if ybar is None:
                continue
            bars[i] = None                            # freed as soon as it is used
            prim, links, args, out, kw = entries[i]
            if prim is None:
                done[i] = ybar
                continue
            if keep:
                done[i] = ybar
            rules = prim.partials
            if rules is not None:                    # elementwise: ybar * local partial
                c = prim.constant if consts else None
                passes = prim.passes
                twice = passes == (2, 1) and len(links) == 2 and links[0][1] == links[1][1] \
                    and bars[links[0][1]] is None and args[0] is args[1]
                if twice:                            # x * x: the two equal products, made once
                    links = links[:1]
                for k, p in links:
                    if c is None:
                        w = None if passes is None else passes[k]
                        if w is not None:            # the partial is an input as is: y, x, out
                            g = ybar * (out if w == 0 else args[w - 1])
                        else:
                            d = rules[k](xp, out, *args)
                            g = _times(ybar, d, out, args) if d.__class__ is ndarray and d.nbytes >= 65536 \
                                else ybar * d
                    else:
                        ck = c[k]
                        g = ybar if ck == 1.0 else -ybar if ck == -1.0 else ybar * ck
                    if twice:
                        g = g + g
                    if g.__class__ is not float:     # undo broadcasting, unless shapes agree
                        a = args[k]
                        if g.__class__ is not ndarray or a.__class__ is not ndarray or g.shape != a.shape:
                            g = unbroadcast(g, a, xp)
                    b = bars[p]
                    bars[p] = g if b is None else b + g
            elif prim.vjps is not None:              # structural: explicit vjp
                vjps = prim.vjps
                for k, p in links:
                    g = vjps[k](xp, ybar, out, *args, **kw) if kw else vjps[k](xp, ybar, out, *args)
                    b = bars[p]
                    bars[p] = g if b is None else b + g
            # else: no gradient (step, sign) -- the cotangent stops here
        for i in range(lead):
            ybar = bars[i]
            if ybar is not None:
                done[i] = ybar
        return done

    def names(self):
        """Entry -> display name: the label, else t1, t2, ... in recording order."""
        names, k = dict(self.labels), 0
        for i, e in enumerate(self.entries):
            if e[0] is not None:
                k += 1
                names.setdefault(i, f"t{k}")
        return names

    def format(self, adjoints=False, digits=6):
        """The lecture's listing: one primitive op per line with its forward value, then
        (on request) the backward pass with each adjoint dL/dnode."""
        names = self.names()
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
            lines += [f"d{out}/d{names[i]} = {fmt(bars[i])}" for i in sorted(bars, reverse=True)]
        return "\n".join(lines)

    def __str__(self):
        return self.format()

    def draw(self, path, **options):
        """Draw the computational graph to ``path`` (.svg, .png or .dot), forward values and
        adjoints on the nodes: see ``graph.draw`` (options ``max_nodes``, ``max_layers``,
        ``digits``). Returns the ``graph.Graph`` drawn."""
        from .graph import draw
        return draw(self, path, **options)

    def source(self):
        """The adjoint program this tape compiles to (``autodiff-compiled``): one primitive
        per line forward, then one cotangent per line backward."""
        from .codegen import emit
        params = {name: self.entries[i][3] for name, i in self.inputs.items()}
        return emit(self, params).source

    def __repr__(self):
        return f"<Tape: {len(self)} ops, {len(self.inputs)} inputs>"


def _fmt(v, digits):
    if isinstance(v, (float, int, np.floating, np.integer)) or np.ndim(v) == 0:
        return f"{float(v):.{digits}g}"
    return f"<array {'x'.join(map(str, np.shape(v)))}>"


def _times(ybar, d, out, args):
    """``ybar * d`` for a large array partial ``d`` (the sweep's caller sends those of 64 KiB
    and more: below, a fresh product costs less than these checks), in place when ``d`` is a
    temporary the rule just made (tanh's partial): one big allocation fewer per op."""
    if ybar.__class__ is np.ndarray and d.base is None and d is not out \
            and d is not args[0] and (len(args) == 1 or d is not args[1]) and d.shape == ybar.shape \
            and d.dtype == ybar.dtype:
        return np.multiply(d, ybar, out=d)
    return ybar * d





# --- the boxes: Python operators and namespace functions that record -----------------------

_new = object.__new__


class Box(Traced):
    """A value being traced: its primal ``value``, the ``tape`` and its entry ``index``."""

    __slots__ = ("value", "tape", "index")

    def __init__(self, value, tape, index):
        self.value, self.tape, self.index = value, tape, index

    def __repr__(self):
        return f"Box({self.value!r}, index={self.index})"

    def __bool__(self):
        result = bool(self.value)
        self.tape.guards.append((len(self.tape.entries) - 1, "bool", self.index, None, None, result))
        return result


def _guarded(op):
    """A comparison that reads the primal and notes it on the tape as a guard."""
    def compare(self, other):
        ov = other.value if other.__class__ is Box else other
        result = op(self.value, ov)
        self.tape.guards.append((len(self.tape.entries) - 1, op, self.index,
                                 other.index if other.__class__ is Box else None, ov, result))
        return result
    return compare


Box.__lt__, Box.__le__ = _guarded(operator.lt), _guarded(operator.le)
Box.__gt__, Box.__ge__ = _guarded(operator.gt), _guarded(operator.ge)


def _unary(prim, x, kw):
    tape = x.tape
    out = prim.impl(x.value, **kw) if kw else prim.impl(x.value)
    tape.entries.append((prim, ((0, x.index),), (x.value,), out, kw))
    return Box(out, tape, len(tape.entries) - 1)


def _binary(prim, reflected=False):
    """``f(x, y)`` that computes a binary row on primals and, if an argument is traced,
    appends the entry and returns a new Box (one Python call per op: the hot path)."""
    impl = prim.impl

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
        box = _new(Box)                             # Box(out, tape, index), without __init__'s frame
        box.value, box.tape, box.index = out, tape, len(entries) - 1
        return box
    return binary


def _op(prim):
    """The TRACER namespace's function for one row (unary rows record directly)."""
    if prim.nargs == 2:
        return _binary(prim)
    impl = prim.impl
    if not prim.elementwise:                        # structural: metadata by keyword
        def structural(x, **kw):
            if x.__class__ is not Box:
                return impl(x, **kw)
            return _unary(prim, x, kw or None)
        return structural
    scalar = getattr(impl, "scalar", None)          # the math-module half of a _fast row
    array = getattr(impl, "array", impl)            # ... and its numpy half

    def unary(x):
        if x.__class__ is not Box:
            return impl(x)
        tape, xv = x.tape, x.value                  # the common case, recorded here directly
        if xv.__class__ is np.ndarray:
            out = array(xv)
        elif scalar is not None and xv.__class__ is float:
            try:
                out = scalar(xv)
            except (OverflowError, ValueError):     # IEEE's inf / nan, from numpy
                out = impl(xv)
        else:
            out = impl(xv)
        entries = tape.entries
        entries.append((prim, ((0, x.index),), (xv,), out, None))
        box = _new(Box)
        box.value, box.tape, box.index = out, tape, len(entries) - 1
        return box
    return unary


def _label(x, label):
    if x.__class__ is Box:
        x.tape.labels[x.index] = label
    return x


Box.install(_binary, _unary)
TRACER = namespace("TRACER", _op, _label)


def trace(f, params, data=None):
    """Run ``f(params, TRACER)`` and return its tape (``print(tape)`` lists the primitive
    ops). ``data`` (name -> value) are traced as named inputs too, so they print by name; for
    a catalogue model its scalar data are, by default (``t1 = w*x``, not ``t1 = w*2``)."""
    if data is None:
        data = {k: v for k, v in (getattr(f, "data", None) or {}).items() if isinstance(v, float)}
    return record(f, params, data)


def record(f, params, data=None, plain=False):
    """The tape of ``f(params, TRACER, **data)`` with params (and data) as named inputs. With
    ``plain``, None unless every param is a float or a float array of one or more axes (those
    need no ``check_params``: the caller checks the others and records again)."""
    tape = Tape()
    paused = gc.isenabled()
    gc.disable()
    try:
        inputs = dict(params, **data) if data else params
        entries, boxes, i = tape.entries, {}, 0
        for k, v in inputs.items():                             # the leaves, first
            if plain and v.__class__ is not float and (v.__class__ is not np.ndarray
                                                       or v.dtype.kind != "f" or not v.ndim):
                return None
            entries.append((None, (), (), v, None))
            box = boxes[k] = _new(Box)
            box.value, box.tape, box.index = v, tape, i
            i += 1
        tape.labels = dict(enumerate(inputs))
        tape.inputs = dict(zip(inputs, range(i)))
        tape.lead = i
        if data:
            out = f({k: boxes[k] for k in params}, TRACER, **{k: boxes[k] for k in data})
        else:
            out = f(boxes, TRACER)
    finally:
        if paused:
            gc.enable()
    if out.__class__ is not Box:
        scalar_output(out)
        out = tape.leaf(out, "const")
    v = out.value
    if v.__class__ is not float and v.__class__ is not np.float64:
        scalar_output(v)
    tape.output = out.index
    return tape


def gradient(f, params):
    """``(value, grads, tape)`` of one traced call: grads shaped like params (floats for
    floats), params checked as they are boxed (floats and float arrays pass; anything else
    goes through ``check_params``), and a NaN or inf param named when the value is not finite."""
    tape = record(f, params, plain=True) if params.__class__ is dict else None
    if tape is None:
        params = check_params(params)
        tape = record(f, params)
    get, i = tape.backward().get, 0
    grads = {}
    for name, v in params.items():                       # the leaves are the first entries
        g = get(i)
        i += 1
        if g.__class__ is v.__class__ and (g.__class__ is float or g.dtype is v.dtype):
            grads[name] = g                                # the common case: as it came
            continue
        if g is None:
            g = np.zeros_like(v) if v.__class__ is np.ndarray else 0.0
        elif v.__class__ is float:
            if g.__class__ is not float:
                g = float(g)
        elif g.__class__ is not np.ndarray or g.dtype != v.dtype:
            g = np.asarray(g, dtype=np.result_type(v, np.float32))   # float16 params: float32 grads
        grads[name] = g
    value = tape.value
    if value.__class__ is not float:
        value = float(value)
    if value - value != 0.0:                     # nan or inf: was a param to blame?
        check_params(params)
    return value, grads, tape


def collector_paused(fn):
    """``fn`` with the garbage collector paused until its tapes are freed: re-enabled with a
    full tape alive, it would walk every entry at the next allocation (a per-op cost that
    grows with depth); freed first (``fn``'s locals go as it returns), the tape's objects
    leave the count as they came. The collector is left as it was, also when ``fn`` raises.
    ``make`` and the second-derivative sweeps (hessian.py) run under it."""
    @functools.wraps(fn)
    def call(*args, **kw):
        paused = gc.isenabled()
        gc.disable()
        try:
            return fn(*args, **kw)
        finally:
            if paused:
                gc.enable()
    return call


def make(f, params):
    """The ``autodiff`` method: trace and sweep on every call (the trace is cheap). It checks
    its params and shapes its results itself (``validated``), so ``GradFn`` need not."""

    @collector_paused
    def call(params):
        value, grads, tape = gradient(f, params)
        return value, grads, {"tape_length": len(tape)}
    call.validated = True
    return call
