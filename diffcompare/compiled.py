"""The ``autodiff-compiled`` method: trace once, emit the adjoint program (codegen.py),
replay it on every later call.

One program per outcome of the model's Python branches (at most ``cache``, most recently
used first): a call whose assumptions do not hold (``Retrace``: another shape, dtype or
branch) tries the other programs, else traces again. Where math raises (log 0, overflow)
or the value is not finite (``NotFinite``), the call is answered by the eager tracer, whose
IEEE answers and error messages are the reference.
"""
from __future__ import annotations

import numpy as np

from . import tracer
from .codegen import NotFinite, Retrace, emit

__all__ = ["make"]


def make(f, params, cache=8):
    """The ``autodiff-compiled`` method: the first call traces and emits a program, later
    calls run it (one program per outcome of the model's branches, at most ``cache``)."""
    programs = []                                   # most recently used first
    stats = {"tape_length": 0, "programs": 0, "fallbacks": 0, "emit_s": 0.0, "compile_s": 0.0}

    def fresh(params):
        nonlocal stats
        value, grads, tape = tracer.gradient(f, params)
        if all(v.__class__ is float or (isinstance(v, np.ndarray) and v.ndim) for v in params.values()):
            prog = emit(tape, params)
            programs.insert(0, prog)
            del programs[cache:]
            stats = dict(stats, tape_length=prog.tape_length, programs=len(programs), emit_s=prog.emit_s,
                         compile_s=prog.compile_s)
        return value, grads

    def call(params):
        nonlocal stats
        for k, prog in enumerate(programs):
            try:
                value, grads = prog.fn(params)
            except Retrace:
                continue
            except (NotFinite, ArithmeticError, ValueError, TypeError, KeyError, AttributeError):
                break                                # math raised, or inf/nan: the eager answer
            if k:
                programs.insert(0, programs.pop(k))
            return value, grads, stats
        else:
            return (*fresh(params), stats)
        stats = dict(stats, fallbacks=stats["fallbacks"] + 1)
        value, grads, _ = tracer.gradient(f, params)
        return value, grads, stats
    call.validated = True                            # checks its params itself (api.GradFn)
    return call

