"""The Code size experiment: lines of code of each way of differentiating, counted from this
package's own source -- the evidence for the slide's "easy to implement".

Two sizes per family, because both are true: the *textbook* core (the few lines a lecture
writes: ``numerical.textbook_central``; the tracer and its rules table for reverse mode) and
the *whole* method as this package ships it (step choice, error model, float32, complex
step, budgets...). Lines of code: not blank, not a comment, not a docstring.
Records (section ``SECTION``, metric ``LOC``); prints nothing.
"""
from __future__ import annotations

import ast
import inspect
import io as _io
import textwrap
import tokenize
from pathlib import Path

from .. import numerical
from ..records import Record
from . import silent

__all__ = ["run", "count_loc", "loc_records", "SECTION", "LOC", "FAMILIES", "TEXTBOOK", "WHOLE"]

SECTION = "summary"
LOC = "loc"                  # lines of code (extra: files, scope)
TEXTBOOK, WHOLE = "textbook", "whole"     # extra["scope"]
PACKAGE = Path(__file__).resolve().parent.parent
# family -> (scope, files or a function) -- the whole method, and its textbook core
FAMILIES = {
    "numerical": ((WHOLE, ("numerical.py", "stencils.py", "complexstep.py")),
                  (TEXTBOOK, numerical.textbook_central)),
    "symbolic": ((WHOLE, ("symbolic",)),),
    "automatic": ((WHOLE, ("tracer.py", "primitives.py")),),
}


def count_loc(text):
    """Lines of code in Python source: not blank, not a comment, not a docstring."""
    skip = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
                    and isinstance(body[0].value.value, str):
                skip.update(range(body[0].lineno, body[0].end_lineno + 1))
    code = set()
    for tok in tokenize.generate_tokens(_io.StringIO(text).readline):
        if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
                        tokenize.DEDENT, tokenize.ENDMARKER):
            continue
        code.update(range(tok.start[0], tok.end[0] + 1))
    return len(code - skip)


def _sources(package, files):
    """[(name, text)] of the files (a folder: its .py files); None if one is missing."""
    out = []
    for f in files:
        p = Path(package) / f
        if p.is_dir():
            out += [(f"{f}/{q.name}", q.read_text(encoding="utf-8")) for q in sorted(p.glob("*.py"))]
        elif p.with_suffix(".py").exists() and not p.suffix:
            out.append((p.with_suffix(".py").name, p.with_suffix(".py").read_text(encoding="utf-8")))
        elif p.exists():
            out.append((f, p.read_text(encoding="utf-8")))
        else:
            return None
    return out


def loc_records(package=PACKAGE, families=None):
    """Records ``LOC`` per family and scope; a family whose file is missing gets none."""
    out = []
    for fam, scopes in (FAMILIES if families is None else families).items():
        for scope, what in scopes:
            if callable(what):
                src = [(f"{what.__module__.rsplit('.', 1)[-1]}.{what.__name__}",
                        textwrap.dedent(inspect.getsource(what)))]
            else:
                src = _sources(package, what)
            if not src:
                continue
            names = [name for name, _ in src]
            where = ", ".join(names) if len(names) <= 3 else f"{len(names)} files in {what[0]}/"
            out.append(Record(SECTION, "", fam, LOC, sum(count_loc(t) for _, t in src), "lines", where,
                              extra={"files": names, "scope": scope}))
    return out


def run(quick=False, progress=silent):
    progress("summary: lines of code")
    return loc_records()
