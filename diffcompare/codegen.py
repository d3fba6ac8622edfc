"""Code generation: a recorded tape -> the adjoint program as Python source, compiled.

The lecture's "backprop can be done in a completely mechanical way", done literally: the
tape (a Wengert list) becomes straight-line code -- one primitive per line forward, then one
cotangent per line backward, in the very order ``Tape.backward`` would take -- compiled
once, and every later call runs it with no boxes, no tape, no dispatch::

    def program(params):
        w = params['w']
        ...
        t1 = w * x
        z = t1 + b
        ...
        g_z = g_t2 * dsigmoid ...

No second set of rules: each row's partials are written against ``xp``, so evaluating them
over ``Code`` values (source fragments that print what is done to them) turns the row into
code. Floats call the ``math`` version of an op and arrays the numpy one, exactly as the
eager tracer's fast path does, so the program computes the same numbers, bit for bit.

What the program assumes is checked, not hoped for: the params' classes, shapes and dtypes
at entry, and every Python comparison or ``bool()`` the model made on a traced value
(``Tape.guards``) right after its operands are computed; a failed check raises ``Retrace``.
A value that is not finite raises ``NotFinite``, and math raises where IEEE would give inf
or nan: ``compiled.py`` (the method) answers those calls with the eager tracer.
"""
from __future__ import annotations

import math
import operator
import time
import types

import numpy as np

from .primitives import TABLE, unbroadcast
from .vocabulary import NUMPY

__all__ = ["Program", "emit", "Retrace", "NotFinite", "Code"]


# Rows whose partials branch on a traced value (pow with a traced exponent: 0 * inf is 0
# where the exponent is 0) are emitted as calls of the row's partial itself, so the program
# keeps that branch; with a constant exponent the branch is decided when emitting.
_CALLED = ("pow",)


class Retrace(Exception):
    """A compiled program's assumption (a shape, a dtype, a branch) does not hold."""


class NotFinite(Exception):
    """A compiled program's result is not finite: the eager tracer's answer is the reference."""


class Code:
    """A value of the emitted program: its source ``text``, its ``value`` on the traced
    numbers (so shape questions -- ``.shape``, ``.ndim`` -- and the choice of a function's
    ``math`` or numpy form are answered as the eager sweep answers them), and ``ctx``, the
    program it belongs to (its names and constants). Arithmetic on it builds both."""

    __slots__ = ("text", "value", "ctx")
    __array_ufunc__ = None          # ndarray (op) Code defers to Code.__r<op>__

    def __init__(self, text, value, ctx):
        self.text, self.value, self.ctx = text, value, ctx

    shape = property(lambda self: np.shape(self.value))
    ndim = property(lambda self: np.ndim(self.value))
    T = property(lambda self: Code(f"{self.text}.T", self.value.T, self.ctx))

    def __repr__(self):
        return self.text


def _value(v):
    return v.value if isinstance(v, Code) else v


def _literal(v, ctx):
    if isinstance(v, Code):
        return v.text
    if v.__class__ in (float, int) and math.isfinite(v) or v is None:
        return repr(v)
    if isinstance(v, tuple) and all(x.__class__ is int or x is None for x in v):
        return repr(v)
    return ctx.constant(v)


def _binop(symbol, fn, reflected=False):
    def op(a, b):
        if reflected:
            a, b = b, a
        ctx = (a if isinstance(a, Code) else b).ctx
        if a is b and not a.text.isidentifier():     # c * c: compute c once
            a = b = ctx.hoist(a)
        return Code(f"({_literal(a, ctx)} {symbol} {_literal(b, ctx)})", fn(_value(a), _value(b)), ctx)
    return op


for _name, _sym in (("add", "+"), ("sub", "-"), ("mul", "*"), ("truediv", "/"), ("matmul", "@")):
    _fn = getattr(operator, _name)
    setattr(Code, f"__{_name}__", _binop(_sym, _fn))
    setattr(Code, f"__r{_name}__", _binop(_sym, _fn, True))
Code.__neg__ = lambda self: Code(f"(-{self.text})", -self.value, self.ctx)
Code.__pow__ = lambda self, o: _call(self.ctx, "pow", [self, o])
Code.__rpow__ = lambda self, o: _call(self.ctx, "pow", [o, self])


def _call(ctx, name, args, kw=None):
    """``name(args)`` in the emitted program: the row's ``math`` form when every argument is
    a float and the row has one, else its implementation."""
    values = [_value(a) for a in args]
    kw = kw or {}
    impl = TABLE[name].impl
    value = impl(*values, **kw)
    if hasattr(impl, "scalar"):                     # _fast: its math and numpy halves directly
        scalar = all(isinstance(v, float) for v in values)
        fn = ctx.function(f"{name}_math", impl.scalar) if scalar else ctx.function(f"{name}_np", impl.array)
    else:
        fn = ctx.function(name, impl)
    text = ", ".join(_literal(a, ctx) for a in args)
    text += "".join(f", {k}={_literal(v, ctx)}" for k, v in kw.items())
    return Code(f"{fn}({text})", value, ctx)


class _SourceNamespace:
    """``xp`` whose functions return source: a table rule evaluated here is its code."""

    def __init__(self, ctx):
        self._ctx = ctx

    def __getattr__(self, name):
        if name in TABLE:
            return lambda *args, **kw: _call(self._ctx, name, list(args), kw)
        raise AttributeError(name)


class _Emitter:
    """Names, constants and lines of one program."""

    def __init__(self):
        self.globals = {"Retrace": Retrace, "NotFinite": NotFinite, "unbroadcast": unbroadcast, "np": np,
                        "NUMPY": NUMPY}
        self.lines, self._ids, self.hoisted = [], {}, []

    def hoist(self, code):
        """A value used twice in one expression, computed once into a temporary."""
        name = f"_h{len(self._ids) + len(self.hoisted)}"
        self.hoisted.append(f"{name} = {code.text}")
        return Code(name, code.value, self)

    def flush(self, lines):
        lines += self.hoisted
        self.hoisted = []

    def constant(self, v):
        key = id(v)
        if key not in self._ids:
            name = f"c{len(self._ids)}"
            self._ids[key] = name
            self.globals[name] = v
        return self._ids[key]

    def function(self, name, fn):
        if name in self.globals and self.globals[name] is not fn:
            return self.constant(fn)
        self.globals[name] = fn
        return name


def _names(tape):
    """Entry -> variable name: a label that is a fresh identifier, else t1, t2, ..."""
    names, used = {}, {"params", "program", "np", "unbroadcast", "Retrace"}
    k = 0
    for i, e in enumerate(tape.entries):
        if e[0] is not None:
            k += 1
        label = tape.labels.get(i)
        name = label if label and label.isidentifier() and label not in used and not label.startswith("g_") \
            else f"t{k}" if e[0] is not None else f"in{i}"
        while name in used:
            name += "_"
        used.add(name)
        names[i] = name
    return names


def _primal_line(ctx, prim, args, kw, names, links):
    shown = list(args)
    for pos, p in links:
        shown[pos] = Code(names[p], args[pos], ctx)
    ops = {"add": "+", "sub": "-", "mul": "*", "div": "/", "matmul": "@"}
    if prim.name in ops:
        return f"({_literal(shown[0], ctx)} {ops[prim.name]} {_literal(shown[1], ctx)})"
    if prim.name == "neg":
        return f"(-{_literal(shown[0], ctx)})"
    if prim.name == "getitem":
        return f"{_literal(shown[0], ctx)}[{ctx.constant(kw['index'])}]"
    return _call(ctx, prim.name, shown, kw).text


class Program:
    """One compiled program: ``fn(params) -> (value, grads)``, its ``source``, and what it
    cost to make (``emit_s``, ``compile_s``)."""

    def __init__(self, fn, source, tape_length, emit_s, compile_s):
        self.fn, self.source, self.tape_length = fn, source, tape_length
        self.emit_s, self.compile_s = emit_s, compile_s


def emit(tape, params):
    """The program of a recorded tape (``tracer.record(f, params)``) for params of this
    structure: source and compiled function."""
    t0 = time.perf_counter()
    ctx = _Emitter()
    lines = _emit_lines(ctx, tape, params)
    source = "def program(params):\n" + "\n".join("    " + ln for ln in lines) + "\n"
    t1 = time.perf_counter()
    module = compile(source, f"<diffcompare compiled program, {len(tape)} ops>", "exec")
    code = next(c for c in module.co_consts if isinstance(c, types.CodeType))   # def program
    fn = types.FunctionType(code, ctx.globals, "program")
    return Program(fn, source, len(tape), t1 - t0, time.perf_counter() - t1)


def _emit_lines(ctx, tape, params):
    names = _names(tape)
    lines = ["# inputs: each param's class, shape and dtype as traced"]
    for name, i in tape.inputs.items():
        v, var = params[name], names[i]
        lines.append(f"{var} = params[{name!r}]")
        if v.__class__ is float:
            lines.append(f"if {var}.__class__ is not float: raise Retrace")
        else:
            dt = ctx.function(f"{v.dtype.name}_dtype", v.dtype)
            lines.append(f"if {var}.__class__ is not np.ndarray or {var}.shape != {v.shape!r} "
                         f"or ({var}.dtype is not {dt} and {var}.dtype != {dt}): raise Retrace")
    guards = {}
    for g in tape.guards:
        guards.setdefault(g[0], []).append(g)
    lines.append("# forward: one primitive per line")
    entries = tape.entries
    for i, (prim, links, args, out, kw) in enumerate(entries):
        if prim is not None:
            lines.append(f"{names[i]} = {_primal_line(ctx, prim, args, kw, names, links)}")
        for (_, op, a, b, const, result) in guards.get(i, ()):
            lines.append(_guard_line(ctx, op, names[a], names[b] if b is not None else _literal(const, ctx), result))
    lines += ["# backward: one cotangent per line, in the reverse sweep's order"]
    lines += _backward_lines(ctx, tape, names)
    return lines


def _guard_line(ctx, op, a, b, result):
    if op == "bool":
        return f"if bool({a}) is not {bool(result)}: raise Retrace"
    test = f"{ctx.constant(op)}({a}, {b})"
    if isinstance(result, np.ndarray):
        return f"if not np.array_equal({test}, {ctx.constant(result)}): raise Retrace"
    return f"if bool({test}) is not {bool(result)}: raise Retrace"


def _backward_lines(ctx, tape, names):
    """The reverse sweep of ``Tape.backward``, run once on the traced values to decide the
    shape-dependent steps (unbroadcast, scalar conversion), each step written as code."""
    entries, root = tape.entries, tape.output
    bars = {root: 1.0}                      # numeric cotangents, as the eager sweep has them
    have = {root: "1.0"}                    # their variable names in the program
    lines = []
    for i in range(root, -1, -1):
        ybar = bars.pop(i, None)
        if ybar is None:
            continue
        prim, links, args, out, kw = entries[i]
        if prim is None:
            bars[i] = ybar                  # an input's gradient: kept for the return line
            continue
        gy = have[i]
        outc = Code(names[i], out, ctx)
        argc = list(args)
        for pos, p in links:
            argc[pos] = Code(names[p], args[pos], ctx)
        for k, p in links:
            if prim.partials is not None:
                c = prim.constant
                if c is None:
                    d = prim.partials[k](NUMPY, out, *args)
                    g = ybar * d
                    if prim.name in _CALLED and any(q == 1 for q, _ in links):   # branches on a traced value
                        fn = ctx.function(f"{prim.name}_partial{k}", prim.partials[k])
                        shown = ", ".join(_literal(a, ctx) for a in [outc] + argc)
                        term = f"{gy} * {fn}(NUMPY, {shown})"
                    else:
                        term = f"{gy} * {_literal(prim.partials[k](_SourceNamespace(ctx), outc, *argc), ctx)}"
                else:
                    g = ybar if c[k] == 1.0 else -ybar if c[k] == -1.0 else ybar * c[k]
                    term = gy if c[k] == 1.0 else f"-{gy}" if c[k] == -1.0 else f"{gy} * {c[k]!r}"
                if g.__class__ is not float:
                    a = args[k]
                    if g.__class__ is not np.ndarray or a.__class__ is not np.ndarray or g.shape != a.shape:
                        lead = g.ndim - np.ndim(a) if g.__class__ is np.ndarray else 0
                        g = unbroadcast(g, a)
                        # unbroadcast of a bias, (n, ...) -> (...), is this one reduction
                        bias = lead == 1 and np.ndim(a) and np.shape(g) == np.shape(a) == np.shape(ybar)[1:]
                        term = f"np.add.reduce({term}, axis=0)" if bias else f"unbroadcast({term}, {names[p]})"
            elif prim.vjps is not None:               # the vjp itself, run over source
                g = prim.vjps[k](NUMPY, ybar, out, *args, **(kw or {}))
                term = _literal(prim.vjps[k](_SourceNamespace(ctx), Code(gy, ybar, ctx), outc, *argc,
                                             **(kw or {})), ctx)
            else:
                continue                     # no gradient (step, sign)
            ctx.flush(lines)
            var = f"g_{names[p]}"
            if p in bars:
                bars[p] = bars[p] + g
                lines.append(f"{var} = {have[p]} + {term}")
                have[p] = var
            else:
                bars[p] = g
                if term.isidentifier():      # a constant partial 1 (add, sub): the same cotangent
                    have[p] = term
                    lines.append(f"# {var} is {term}")
                else:
                    lines.append(f"{var} = {term}")
                    have[p] = var
    value = names[root] if entries[root][3].__class__ is float else f"float({names[root]})"
    # a value that is not finite: the eager tracer names the NaN param, if one is to blame
    lines.append(f"if {value} - {value} != 0.0: raise NotFinite")
    grads = []
    for name, i in tape.inputs.items():
        v = entries[i][3]
        if i not in have:
            grads.append(f"{name!r}: {'0.0' if v.__class__ is float else ctx.constant(np.zeros_like(v))}.copy()"
                         if v.__class__ is not float else f"{name!r}: 0.0")
        elif v.__class__ is float and bars[i].__class__ is not float:
            grads.append(f"{name!r}: float({have[i]})")
        elif v.__class__ is np.ndarray and (bars[i].__class__ is not np.ndarray or bars[i].dtype != v.dtype):
            dt = ctx.function(f"{v.dtype.name}_grad_dtype", np.result_type(v, np.float32))
            grads.append(f"{name!r}: np.asarray({have[i]}, dtype={dt})")
        else:
            grads.append(f"{name!r}: {have[i]}")
    lines.append(f"return {value}, {{{', '.join(grads)}}}")
    return lines
