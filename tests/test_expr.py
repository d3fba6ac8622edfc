"""The safe expression parser: grammar, limits, hostile strings, agreement with the catalogue."""
import math
import tokenize
import warnings

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import diffcompare as dc
from diffcompare import expr as E
from diffcompare.errors import BadParamsError, DiffcompareError, ExprError
from diffcompare.expr import parse
from diffcompare.namespaces import FORWARD, NUMPY, SYMPY
from diffcompare.options import parse_values
from diffcompare.primitives import TABLE

P = {"w": 0.5, "x": 2.0, "b": 0.1, "t": 1.0, "a": 5.0, "y": 3.0, "c": 1.0}


# --- grammar and precedence (Python's) --------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("-x**2", -4.0),                 # unary minus binds looser than ** on its left
    ("2**-1", 0.5),                  # ... and a signed exponent is fine
    ("2**3**2", 512.0),              # ** is right-associative
    ("a-y-c", 1.0),                  # - and / are left-associative
    ("a/y/x", 5.0 / 3.0 / 2.0),
    ("x+y*a", 17.0),
    ("(x+y)*a", 25.0),
    ("--x", 2.0),
    ("+x", 2.0),
    ("-(-x)**2", -4.0),
    (".5*x + 2.*x + 1e-1 + 1E1", 1.0 + 4.0 + 0.1 + 10.0),
    ("maximum(x, y) - minimum(x, y)", 1.0),
    ("sigmoid(0) + step(0) + sign(-x) + abs(-y)", 0.5 + 0.5 - 1.0 + 3.0),
    ("sqrt(4) * exp(0) + log(1) + sin(0) + cos(0) + tanh(0)", 3.0),
    ("  x\t* y ", 6.0),
    ("exp (0)", 1.0),
    ("7", 7.0),
])
def test_grammar_values(text, expected):
    assert parse(text)(P, NUMPY) == pytest.approx(expected, rel=1e-15)


def test_names_in_order_of_first_use_and_repr():
    f = parse("log(1+exp(w*x+b)) + w*b")
    assert f.names == ("w", "x", "b")
    assert f.n_ops == 7
    assert "log(1+exp(w*x+b))" in repr(f)
    assert parse("2+3").names == ()


def test_missing_name_is_a_clear_error():
    with pytest.raises(BadParamsError, match="needs a value for t"):
        parse("w*t")({"w": 1.0}, NUMPY)


def test_data_keywords_join_params():
    f = parse("w*x")
    assert f({"w": 3.0}, NUMPY, x=2.0) == 6.0
    tape = dc.trace(f, {"w": 3.0}, data={"x": 2.0})
    assert str(tape) == "t1 = w*x  = 6"


def test_sympy_constants_are_exact():
    w = sympy.Symbol("w", real=True)
    e = parse("w/2 + 0.1*w**2 + 2**100").sympy({"w": w})
    assert e == w / 2 + sympy.Rational(1, 10) * w**2 + sympy.Integer(2) ** 100


# --- agreement with hand-written catalogue models ------------------------------------------

@pytest.mark.parametrize("name, text, data", [
    ("softplus", "log(1+exp(w*x+b))", {"x": 2.0}),
    ("neuron", "(1/(1+exp(-(w*x+b))) - t)**2/2", {"x": 2.0, "t": 1.0}),
    ("softplus_chain", "log(1+exp(w2*log(1+exp(w1*x+b1))+b2))", {"x": 0.5}),
])
@pytest.mark.parametrize("method", ["autodiff", "autodiff-forward", "autograd"])
def test_agrees_with_catalogue(name, text, data, method, assert_close):
    model = dc.models.get(name)
    params = model.init(3)
    f = parse(text)
    assert set(f.names) == set(params) | set(data)
    full = {**params, **data}
    assert f(full, NUMPY) == pytest.approx(model(params, NUMPY), rel=1e-15)
    v, g = dc.value_and_grad(f, method=method)(full)
    v_ref, g_ref = dc.value_and_grad(model, method="autodiff")(params)
    assert v == pytest.approx(v_ref, rel=1e-15)
    assert_close({k: g[k] for k in params}, g_ref, rel=1e-13)


def test_sympy_form_matches_catalogue():
    syms = {n: sympy.Symbol(n, real=True) for n in ("w", "b", "x")}
    model = dc.models.get("softplus")
    e = parse("log(1+exp(w*x+b))").sympy(syms)
    m = model({"w": syms["w"], "b": syms["b"]}, SYMPY, x=syms["x"])
    assert sympy.simplify(e - m) == 0
    assert sympy.simplify(sympy.diff(e, syms["w"]) - sympy.diff(m, syms["w"])) == 0


def test_neuron_traces_to_the_slides_nine_ops():
    f = parse("(1/(1+exp(-(w*x+b))) - t)**2/2")
    tape = dc.trace(f, {"w": 0.5, "x": 2.0, "b": 0.1, "t": 1.0})
    ops = [e[0].name for e in tape.entries if e[0] is not None]
    assert ops == ["mul", "add", "neg", "exp", "add", "div", "sub", "pow", "div"]
    # the catalogue's neuron is written op for op like the slide, with the slide's names
    model = dc.models.get("neuron")
    ref = dc.trace(model, model.params)
    from diffcompare.cli.trace import SLIDE_NAMES, label_ops
    label_ops(tape, SLIDE_NAMES)
    assert tape.format() == ref.format()
    assert set(tape.format(adjoints=True).splitlines()) == set(ref.format(adjoints=True).splitlines())


# --- limits --------------------------------------------------------------------------------

def test_ten_thousand_nested_parentheses_fail_at_the_limit():
    with pytest.raises(ExprError) as e:
        parse("(" * 10000 + "x" + ")" * 10000)
    assert e.value.column == E.MAX_DEPTH + 1
    assert "nested" in str(e.value)


@pytest.mark.parametrize("make", [
    lambda n: "(" * n + "x" + ")" * n,
    lambda n: "-" * n + "x",
    lambda n: "exp(" * n + "x" + ")" * n,
    lambda n: "x" + "**x" * n,
])
def test_depth_limit_is_exact(make):
    parse(make(E.MAX_DEPTH))
    with pytest.raises(ExprError, match="nested"):
        parse(make(E.MAX_DEPTH + 1))


def test_long_chains_evaluate_without_recursion():
    n = (E.MAX_LENGTH - 1) // 2 + 1              # x+x+...+x at the length limit
    text = "+".join(["x"] * n)
    assert len(text) <= E.MAX_LENGTH
    f = parse(text)
    assert f(P, NUMPY) == pytest.approx(2.0 * n)
    tape = dc.trace(f, {"x": 2.0})
    assert len(tape) == n - 1
    assert dc.grad(f)({"x": 2.0})["x"] == pytest.approx(n)
    with pytest.raises(ExprError, match="limit is 2000"):
        parse(text + "+x")


def test_exponent_limits():
    assert parse("x**100")(P, NUMPY) == 2.0 ** 100
    assert parse("x**-100")(P, NUMPY) == 2.0 ** -100
    with pytest.raises(ExprError, match=r"exponent 101 is too large.*column 2"):
        parse("x**101")
    with pytest.raises(ExprError, match=r"exponent 3.8742e\+08 is too large.*column 5"):
        parse("9**9**9**9")
    with pytest.raises(ExprError, match="too large"):
        parse("2**(3*50)")
    # nested powers multiply their exponents; SymPy would compute 3**(10**8) exactly
    with pytest.raises(ExprError, match="grow too large"):
        parse("((((3*x)**100)**100)**100)**100")
    assert parse("((x**100)**100)**100").sympy() == sympy.Symbol("x", real=True) ** 1000000


@pytest.mark.parametrize("text, match", [
    ("1/0", "division by zero.*column 2"),
    ("exp(1000)", "inf.*column 1"),
    ("log(0)", "-inf"),
    ("sqrt(0-1)", "nan"),
    ("1e400", "overflows"),
    ("1e-400", "underflows"),
    ("1" * 65, "longer than 64"),
    ("a" * 65, "longer than 64"),
])
def test_constants_must_be_finite(text, match):
    with pytest.raises(ExprError, match=match):
        parse(text)


# --- hostile strings -----------------------------------------------------------------------

HOSTILE = {
    "attribute": ("x.real", "attribute", 2),
    "attribute of call": ("exp(x).conjugate()", "attribute", 7),
    "dunder": ("__import__('os').system('true')", "dunder", 1),
    "dunder class": ("x.__class__", "attribute", 2),
    "private": ("_x + 1", "'_'", 1),
    "lambda": ("lambda: 1", "keyword", 1),
    "import": ("import os", "keyword", 1),
    "from import": ("from os import system", "keyword", 1),
    "unknown call": ("system(1)", "unknown function 'system'", 1),
    "builtin call": ("open(x)", "unknown function 'open'", 1),
    "eval call": ("eval(x)", "unknown function 'eval'", 1),
    "structural call": ("sum(x)", "not available", 1),
    "function as name": ("exp + 1", "function name", 1),
    "comprehension": ("[x for x in y]", "'['", 1),
    "generator": ("sum(x for x in y)", "keyword", 7),
    "generator, known fn": ("exp(x for x in y)", "keyword", 7),
    "conditional": ("x if y else w", "keyword", 3),
    "huge power": ("9**9**9**9", "exponent", 5),
    "NUL": ("x\x00+1", "NUL", 2),
    "full-width letter": ("\uff57*x", "U+FF57", 1),
    "full-width digit": ("x*\uff12", "U+FF12", 3),
    "cyrillic look-alike": ("\u0441os(x)", "U+0441", 1),
    "empty": ("", "empty", None),
    "blank": ("   ", "empty", None),
    "string": ("'x'", "strings", 1),
    "walrus": ("(y := 2)", "':'", 4),
    "keyword arg": ("exp(x=1)", "'='", 6),
    "comparison": ("x < y", "comparison", 3),
    "caret": ("x^2", "write **", 2),
    "semicolon": ("x; y", "';'", 2),
    "subscript": ("x[0]", "'['", 2),
    "starred": ("exp(*x)", "expected a number", 5),
    "newline": ("x\n+1", "line break", 2),
    "control": ("x\x1b+1", "U+001B", 2),
    "None": ("None", "keyword", 1),
    "True": ("True + 1", "keyword", 1),
    "matmul": ("x @ y", "'@'", 3),
    "unclosed": ("exp(x", "never closed", 4),
    "unmatched": ("x)", "unmatched", 2),
    "trailing op": ("x+", "ends where an operand", 3),
    "juxtaposition": ("2 x", "missing an operator", 3),
    "comma": ("x, y", "outside a function call", 2),
    "arity": ("maximum(x)", "takes 2 arguments, got 1", 1),
    "malformed number": ("1.2.3", "malformed number", 1),
    "long": ("x+" * 1001 + "x", "limit is 2000", None),
}


@pytest.mark.parametrize("key", sorted(HOSTILE))
def test_hostile_strings_are_refused_with_a_column(key):
    text, match, column = HOSTILE[key]
    with pytest.raises(ExprError) as e:
        parse(text)
    msg = str(e.value)
    assert match in msg, msg
    assert "\n" not in msg and "\x00" not in msg and msg.isascii()
    assert e.value.column == column
    if column is not None:
        assert msg.endswith(f"(column {column})")


def test_non_strings_are_refused():
    for bad in (None, 3, b"x", ["x"]):
        with pytest.raises(ExprError, match="must be a string"):
            parse(bad)


def test_source_uses_no_eval():
    """The parser's own modules name no evaluator (read as tokens, so comments don't count)."""
    import diffcompare.cli.explain as ex
    import diffcompare.cli.trace as tr
    banned = {"eval", "exec", "sympify", "parse_expr", "__import__", "literal_eval", "S"}
    for mod in (E, tr, ex):
        with open(mod.__file__) as fh:
            toks = [t.string for t in tokenize.generate_tokens(fh.readline)
                    if t.type in (tokenize.NAME, tokenize.OP)]
        assert not set(toks) & banned, (mod.__name__, set(toks) & banned)
        # compile() only as re.compile
        assert all(toks[i - 2:i] == ["re", "."] for i, t in enumerate(toks) if t == "compile")


# --- fuzzing: the parser returns a model or raises ExprError, nothing else ------------------

GRAMMAR_CHARS = "wxb0123456789.eE+-*/(),_ \t^[]:=.'\x00\uff57\uff11" + "exp log sqrt maximum lambda if"


def _parse_or_expr_error(text):
    try:
        f = parse(text)
    except ExprError as e:
        assert "\n" not in str(e)
        return None
    assert isinstance(f, E.Expression)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            f({n: 0.7 for n in f.names}, NUMPY)       # evaluating never raises but our errors
        except DiffcompareError:
            pass
    return f


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=60))
@example("9**9**9**9")
@example("(" * 200)
@example("x" + "**x" * 200)
@example("1" * 2000)
def test_fuzz_any_text(text):
    _parse_or_expr_error(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=GRAMMAR_CHARS, max_size=80))
def test_fuzz_grammar_alphabet(text):
    _parse_or_expr_error(text)


def _leaf():
    names = st.sampled_from(["w", "x", "b"]).map(lambda n: (n, lambda p, n=n: p[n]))
    numbers = st.one_of(st.integers(0, 12).map(str),
                        st.sampled_from(["0.5", "1.25", ".5", "2.", "1e-3", "3E1"])
                        ).map(lambda s: (s, lambda p, v=float(s): v))
    return st.one_of(names, numbers)


def _extend(children):
    def binary(a, op, b):
        impl = TABLE[E._OPERATORS[op]].impl
        return (f"({a[0]}{op}{b[0]})", lambda p: impl(a[1](p), b[1](p)))

    def unary(fn, a):
        if fn == "-":
            return (f"(-{a[0]})", lambda p: -a[1](p))
        impl = TABLE[fn].impl
        if TABLE[fn].nargs == 2:
            return (f"{fn}({a[0]}, {a[0]})", lambda p: impl(a[1](p), a[1](p)))
        return (f"{fn}({a[0]})", lambda p: impl(a[1](p)))

    return st.one_of(
        st.builds(binary, children, st.sampled_from(["+", "-", "*", "/", "**"]), children),
        st.builds(unary, st.sampled_from(["-", *E.FUNCTIONS]), children))


@settings(max_examples=300, deadline=None)
@given(st.recursive(_leaf(), _extend, max_leaves=25),
       st.floats(-3, 3), st.floats(-3, 3), st.floats(-3, 3))
def test_fuzz_valid_expressions_match_a_reference(pair, w, x, b):
    text, ref = pair
    try:
        f = parse(text)
    except ExprError as e:        # only a constant may be refused: too large, not finite
        assert any(k in str(e) for k in ("exponent", "constant", "grow too large", "division")), e
        return
    p = {"w": w, "x": x, "b": b}
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got, want = f(p, NUMPY), ref(p)
    assert (got == want) or (math.isnan(got) and math.isnan(want)) or got == pytest.approx(want)


# --- --at values ---------------------------------------------------------------------------

def test_parse_values():
    assert parse_values(["w=0.5,x=2", " b = -1e-3 "]) == {"w": 0.5, "x": 2.0, "b": -0.001}
    assert parse_values("w=1,x=2", ("x", "w")) == {"x": 2.0, "w": 1.0}
    for bad, match in [("w=inf", "plain decimal"), ("w=nan", "plain decimal"),
                       ("w=1+1", "plain decimal"), ("w=__import__('os')", "plain decimal"),
                       ("w=\uff11", "plain decimal"), ("w", "NAME=NUMBER"), ("1w=2", "NAME=NUMBER"),
                       ("w=1,w=2", "twice"), ("w=1e999", "overflows a float"),
                       ("w=1e-400", "underflows to 0"), ("w=" + "1" * 70, "70 characters long")]:
        with pytest.raises(BadParamsError, match=match):
            parse_values(bad)
    with pytest.raises(BadParamsError, match="no value for x"):
        parse_values("w=1", ("w", "x"))
    with pytest.raises(BadParamsError, match="q is not in the expression"):
        parse_values("w=1,q=2", ("w",))


def test_forward_namespace_runs_expressions():
    g = dc.grad(parse("x**3 + sin(x)"), method="autodiff-forward")({"x": 0.3})
    assert g["x"] == pytest.approx(3 * 0.09 + math.cos(0.3), rel=1e-15)
    assert FORWARD is not None
