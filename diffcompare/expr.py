"""A safe parser from an expression string to a model ``f(params, xp)`` -- no ``eval``.

    >>> f = parse("log(1 + exp(w*x + b))")
    >>> f.names
    ('w', 'x', 'b')
    >>> round(f({"w": 0.5, "x": 2.0, "b": 0.1}, NUMPY), 6)
    1.387335

The grammar is a whitelist, read by our own tokenizer and recursive-descent parser::

    expr   := term (('+' | '-') term)*
    term   := unary (('*' | '/') unary)*
    unary  := ('-' | '+') unary | power
    power  := atom ['**' unary]                      # right-associative, as in Python
    atom   := NUMBER | NAME | FUNC '(' expr (',' expr)* ')' | '(' expr ')'

NAME is an ASCII identifier (no leading ``_``, no Python keyword, no function name); FUNC is
one of the namespace's scalar elementwise functions (``exp log sin cos sinh cosh tanh sigmoid sqrt abs
maximum minimum step sign``). Anything else -- attribute access, indexing, strings,
keywords (lambda, import, if/else, for), dunders, non-ASCII look-alikes, control characters
-- is refused with an ``ExprError`` naming the column.

Why no ``eval`` (nor ``ast.parse`` + compile, nor ``sympify``): all three accept far more
than arithmetic, and their failure modes (``9**9**9**9`` computed exactly, a 10,000-deep
parenthesis nest hitting Python's recursion limit) are the program's, not the user's. Here:

* the parser emits a postfix program (constants, names, ops) that ``Expression.__call__``
  runs with a value stack, so evaluation never recurses however long the expression;
* nesting (parentheses, unary signs, power chains) is capped at ``MAX_DEPTH`` -- checked
  while scanning, so 10,000 open parentheses stop at the 65th;
* every constant subexpression is evaluated in floats while parsing: a constant exponent
  beyond ``MAX_EXPONENT``, an overflow, a division by zero or a NaN is refused before any
  evaluation -- and because the SymPy namespace computes constants *exactly* (``2**100``
  is a 31-digit integer), the bits that exact constants could reach are bounded too
  (``MAX_CONSTANT_BITS``; nested powers multiply their exponents, so this is the rule that
  stops ``((3*x)**100)**100)**100...``).
"""
from __future__ import annotations

import keyword
import math
import re
import unicodedata
import warnings
from fractions import Fraction

import numpy as np

from .errors import BadParamsError, ExprError
from .primitives import NUMPY, TABLE, VOCABULARY

__all__ = ["parse", "Expression", "FUNCTIONS", "MAX_LENGTH", "MAX_DEPTH",
           "MAX_EXPONENT", "MAX_CONSTANT_BITS"]

MAX_LENGTH = 2000          # characters
MAX_DEPTH = 64             # nested parentheses + unary signs + power chains
MAX_EXPONENT = 100         # |constant exponent|
MAX_CONSTANT_BITS = 20000  # bits an exact (SymPy) constant may need
MAX_NAME = 64              # characters in one name
MAX_NUMBER = 64            # characters in one number literal

# The namespace's scalar elementwise functions, with their arity (from the primitive table).
FUNCTIONS = {n: TABLE[n].nargs for n in VOCABULARY if n in TABLE and TABLE[n].elementwise}
_OPERATORS = {"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow"}
# Every op name, whatever its kind, is reserved: a variable may not be called ``exp`` or ``sum``.
_RESERVED = set(VOCABULARY) | set(TABLE)
_KEYWORDS = set(keyword.kwlist) | set(getattr(keyword, "softkwlist", ()))

_NUMBER = re.compile(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DIGITS = frozenset("0123456789")
_REFUSED = {
    ".": "attribute access ('.') is not allowed",
    "[": "indexing and lists ('[') are not allowed",
    "]": "indexing and lists (']') are not allowed",
    "{": "sets and dicts ('{') are not allowed",
    "}": "sets and dicts ('}') are not allowed",
    "^": "'^' is not a power here: write ** (x**2)",
    "=": "assignments and comparisons ('=') are not allowed",
    "<": "comparisons ('<') are not allowed",
    ">": "comparisons ('>') are not allowed",
    "!": "'!' is not allowed",
    ":": "':' is not allowed (no lambdas, slices or annotations)",
    ";": "';' is not allowed: one expression only",
    "'": "strings are not allowed",
    '"': "strings are not allowed",
    "#": "comments ('#') are not allowed",
    "@": "'@' is not allowed (matrix products and decorators are not part of the grammar)",
    "%": "'%' is not allowed",
    "&": "'&' is not allowed",
    "|": "'|' is not allowed: write abs(x)",
    "~": "'~' is not allowed",
    "\\": "backslashes are not allowed",
    "`": "backquotes are not allowed",
    "$": "'$' is not allowed",
    "?": "'?' is not allowed",
}


class _Token:
    __slots__ = ("kind", "text", "col")

    def __init__(self, kind, text, col):
        self.kind, self.text, self.col = kind, text, col

    def describe(self):
        if self.kind == "end":
            return "the end of the expression"
        return f"{self.kind} {self.text!r}" if self.kind in ("number", "name") else repr(self.text)


def _char_error(c, col):
    o = ord(c)
    if o == 0:
        return ExprError("NUL byte (U+0000) in the expression", col)
    if o > 127:
        what = unicodedata.name(c, "unnamed character")
        hint = ""
        folded = unicodedata.normalize("NFKC", c)
        if folded.isascii() and folded.isprintable() and folded != c:
            hint = f" (a look-alike of ASCII {folded!r})"
        return ExprError(f"non-ASCII character U+{o:04X} {what}{hint}: expressions use ASCII "
                         "letters, digits, spaces and + - * / ** ( ) , only", col)
    if c in "\n\r":
        return ExprError("line breaks are not allowed: one expression on one line", col)
    if not c.isprintable():
        return ExprError(f"control character U+{o:04X} in the expression", col)
    return ExprError(_REFUSED.get(c, f"unexpected character {c!r}"), col)


def _tokenize(text):
    """Scan left to right; the first problem stops the scan (so a 10,000-deep nest of
    parentheses fails at the 65th, in one linear pass)."""
    tokens, opens, i, n = [], [], 0, len(text)
    while i < n:
        c, col = text[i], i + 1
        if c in " \t":
            i += 1
        elif c in _DIGITS or (c == "." and i + 1 < n and text[i + 1] in _DIGITS):
            m = _NUMBER.match(text, i)
            j = m.end()
            if j < n and (text[j].isalnum() or text[j] in "._"):
                raise ExprError(f"malformed number {text[i:j + 1]!r}", col)
            if j - i > MAX_NUMBER:
                raise ExprError(f"number literal longer than {MAX_NUMBER} characters", col)
            tokens.append(_Token("number", text[i:j], col))
            i = j
        elif c.isascii() and (c.isalpha() or c == "_"):
            m = _NAME.match(text, i)
            word = m.group()
            _check_word(word, col)
            tokens.append(_Token("name", word, col))
            i = m.end()
        elif text.startswith("**", i):
            tokens.append(_Token("op", "**", col))
            i += 2
        elif c in "+-*/,":
            tokens.append(_Token("op", c, col))
            i += 1
        elif c == "(":
            opens.append(col)
            if len(opens) > MAX_DEPTH:
                raise ExprError(f"parentheses nested more than {MAX_DEPTH} deep", col)
            tokens.append(_Token("op", c, col))
            i += 1
        elif c == ")":
            if not opens:
                raise ExprError("unmatched ')'", col)
            opens.pop()
            tokens.append(_Token("op", c, col))
            i += 1
        else:
            raise _char_error(c, col)
    if opens:
        raise ExprError("'(' is never closed", opens[-1])
    tokens.append(_Token("end", "", n + 1))
    return tokens


def _check_word(word, col):
    if word in _KEYWORDS:
        raise ExprError(f"{word!r} is a Python keyword; expressions allow arithmetic, names "
                        "and function calls only", col)
    if word.startswith("_"):
        kind = "dunder names" if word.startswith("__") else "names starting with '_'"
        raise ExprError(f"{kind} are not allowed ({word!r})", col)
    if len(word) > MAX_NAME:
        raise ExprError(f"name longer than {MAX_NAME} characters", col)


def _check_name(word, col, called):
    if called and word not in FUNCTIONS:
        if word in _RESERVED:
            raise ExprError(f"function {word!r} is not available in expressions (scalar "
                            f"functions only: {', '.join(FUNCTIONS)})", col)
        raise ExprError(f"unknown function {word!r}; known: {', '.join(FUNCTIONS)}", col)
    if not called and word in _RESERVED:
        raise ExprError(f"{word!r} is a function name: call it, e.g. {word}(x), or choose "
                        "another variable name", col)


class _Info:
    """What the parser knows about a subexpression: is it constant, its float value (if so),
    and a bound on the bits of any exact constant SymPy may compute inside it (0 when it
    holds no constants: ``(x**100)**100`` is just ``x**10000``)."""

    __slots__ = ("const", "value", "bits")

    def __init__(self, const, value, bits):
        self.const, self.value, self.bits = const, value, bits


class _Parser:
    def __init__(self, text):
        self.tokens = _tokenize(text)
        self.pos = 0
        self.depth = 0
        self.code = []
        self.names = {}

    # -- helpers -------------------------------------------------------------------------
    @property
    def tok(self):
        return self.tokens[self.pos]

    def at(self, *ops):
        t = self.tokens[self.pos]
        return t.kind == "op" and t.text in ops

    def take(self):
        t = self.tokens[self.pos]
        self.pos += 1
        return t

    def expect(self, op, context):
        t = self.tok
        if not (t.kind == "op" and t.text == op):
            raise ExprError(f"expected {op!r} {context}, found {t.describe()}", t.col)
        return self.take()

    def enter(self, col):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError(f"expression nested more than {MAX_DEPTH} deep (parentheses, "
                            "signs and powers count)", col)

    # -- grammar -------------------------------------------------------------------------
    def parse(self):
        info = self.expr()
        t = self.tok
        if t.kind != "end":
            if t.kind == "op" and t.text == ",":
                raise ExprError("',' outside a function call", t.col)
            if t.kind == "op" and t.text == ")":
                raise ExprError("unmatched ')'", t.col)
            raise ExprError(f"unexpected {t.describe()} after a complete expression "
                            "(missing an operator?)", t.col)
        return info

    def expr(self):
        info = self.term()
        while self.at("+", "-"):
            op = self.take()
            info = self.emit(_OPERATORS[op.text], (info, self.term()), op.col)
        return info

    def term(self):
        info = self.unary()
        while self.at("*", "/"):
            op = self.take()
            info = self.emit(_OPERATORS[op.text], (info, self.unary()), op.col)
        return info

    def unary(self):
        if self.at("-", "+"):
            op = self.take()
            self.enter(op.col)
            info = self.unary()
            self.depth -= 1
            return self.emit("neg", (info,), op.col) if op.text == "-" else info
        return self.power()

    def power(self):
        base = self.atom()
        if self.at("**"):
            op = self.take()
            self.enter(op.col)
            exponent = self.unary()
            self.depth -= 1
            return self.emit("pow", (base, exponent), op.col)
        return base

    def atom(self):
        t = self.take()
        if t.kind == "number":
            return self.number(t)
        if t.kind == "name":
            called = self.at("(")
            _check_name(t.text, t.col, called)
            if called:
                return self.call(t)
            self.names.setdefault(t.text, t.col)
            self.code.append(("name", t.text))
            return _Info(False, None, 0)
        if t.kind == "op" and t.text == "(":
            self.enter(t.col)
            if self.at(")"):
                raise ExprError("empty parentheses: expected an expression", self.tok.col)
            info = self.expr()
            self.expect(")", "to close the '(' at column %d" % t.col)
            self.depth -= 1
            return info
        if t.kind == "end":
            raise ExprError("the expression ends where an operand was expected", t.col)
        raise ExprError(f"expected a number, a name or '(', found {t.describe()}", t.col)

    def number(self, t):
        value = float(t.text)
        exact = Fraction(t.text)
        if not math.isfinite(value):
            raise ExprError(f"number {t.text} overflows a float", t.col)
        if value == 0.0 and exact != 0:
            raise ExprError(f"number {t.text} underflows to 0 in a float", t.col)
        self.code.append(("const", value, exact))
        return _Info(True, value, exact.numerator.bit_length() + exact.denominator.bit_length())

    def call(self, t):
        name, nargs = t.text, FUNCTIONS[t.text]
        self.take()                                    # "("
        self.enter(t.col)
        args = []
        if self.at(")"):
            raise ExprError(f"{name} takes {nargs} argument{'s' * (nargs > 1)}, got 0", self.tok.col)
        args.append(self.expr())
        while self.at(","):
            self.take()
            args.append(self.expr())
        if len(args) != nargs:
            raise ExprError(f"{name} takes {nargs} argument{'s' * (nargs > 1)}, got {len(args)}", t.col)
        self.expect(")", f"to close the call of {name}")
        self.depth -= 1
        return self.emit(name, tuple(args), t.col)

    # -- code and constant checks --------------------------------------------------------
    def emit(self, op, args, col):
        const = all(a.const for a in args)
        if op == "pow":
            base, exponent = args
            if exponent.const and abs(exponent.value) > MAX_EXPONENT:
                raise ExprError(f"exponent {exponent.value:.6g} is too large: constant exponents "
                                f"must lie within +-{MAX_EXPONENT}", col)
            if exponent.const and exponent.value == int(exponent.value):
                bits = base.bits * max(1, abs(int(exponent.value)))
            else:
                bits = base.bits + exponent.bits
        else:
            bits = sum(a.bits for a in args)
            bits += bits > 0                          # a carry when constants combine
        if bits > MAX_CONSTANT_BITS:
            raise ExprError("constants in this expression grow too large to handle exactly "
                            "(nested powers multiply their exponents)", col)
        value = None
        if const:
            value = _fold(op, [a.value for a in args])
            if not math.isfinite(value):
                why = ("division by zero" if op == "div" and args[1].value == 0
                       else f"a constant {op}(...) that evaluates to {value}")
                raise ExprError(f"{why}: constant parts of an expression must be finite numbers", col)
        self.code.append(("op", op, len(args)))
        return _Info(const, value, bits)


def _fold(op, values):
    """A constant subexpression's float value, computed by the table's own primal (cheap:
    every exponent reaching here is bounded)."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return float(TABLE[op].impl(*values))
        except (ArithmeticError, ValueError):
            return math.nan


class Expression:
    """A parsed expression: the model ``f(params, xp)`` of the one-model contract.

    ``names`` are its variables in order of first appearance; every one must be in
    ``params`` (or passed as keyword data). ``text`` is the source; ``code`` the postfix
    program; ``n_ops`` the number of ops in it (the tape is at most that long)."""

    def __init__(self, text, code, names):
        self.text = text
        self.code = tuple(code)
        self.names = tuple(names)
        self.n_ops = sum(1 for ins in code if ins[0] == "op")
        self.__name__ = "expression"

    def __call__(self, params, xp=None, **data):
        xp = NUMPY if xp is None else xp
        values = dict(params, **data) if data else params
        missing = [n for n in self.names if n not in values]
        if missing:
            raise BadParamsError(f"the expression {self.text!r} needs a value for "
                                 f"{', '.join(missing)}")
        exact = getattr(xp, "__name__", "") == "SYMPY"
        if exact:
            import sympy
        stack = []
        push = stack.append
        for ins in self.code:
            kind = ins[0]
            if kind == "name":
                push(values[ins[1]])
            elif kind == "const":
                push(sympy.Rational(ins[2].numerator, ins[2].denominator) if exact else ins[1])
            else:
                n = ins[2]
                args = stack[-n:]
                del stack[-n:]
                push(getattr(xp, ins[1])(*args))
        return stack[0]

    def sympy(self, symbols=None):
        """The expression as a SymPy expression, over real symbols named as ``names``
        (built through the SYMPY namespace from our parse -- never from the text)."""
        import sympy

        from .namespaces import SYMPY
        if symbols is None:
            symbols = {n: sympy.Symbol(n, real=True) for n in self.names}
        return self(symbols, SYMPY)

    def __repr__(self):
        return f"<expression {self.text!r} names=({', '.join(self.names)})>"


def parse(text):
    """Parse ``text`` into an ``Expression`` (a model ``f(params, xp)``), or raise
    ``ExprError`` saying what is wrong and where (1-based column)."""
    if not isinstance(text, str):
        raise ExprError(f"an expression must be a string, got {type(text).__name__}")
    if len(text) > 50 * MAX_LENGTH:
        raise ExprError(f"expression is {len(text)} characters long; the limit is {MAX_LENGTH}")
    if not text.strip(" \t"):
        raise ExprError("empty expression")
    p = _Parser(text)               # the scan reports a bad character or deep nest first
    if len(text) > MAX_LENGTH:
        raise ExprError(f"expression is {len(text)} characters long; the limit is {MAX_LENGTH}")
    p.parse()
    return Expression(text, p.code, p.names)
