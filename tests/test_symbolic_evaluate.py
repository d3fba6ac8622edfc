import math

import numpy as np
import pytest
import sympy

from diffcompare.errors import BadOptionError
from diffcompare.symbolic.evaluate import compile_exprs

EVALUATORS = ["sympy", pytest.param("symengine", marks=pytest.mark.skipif(
    not __import__("importlib.util").util.find_spec("symengine"), reason="symengine not installed"))]


@pytest.mark.parametrize("evaluator", EVALUATORS)
def test_compiled_code_follows_ieee_not_python_floats(evaluator):
    x = sympy.Symbol("x")
    fn = compile_exprs([x], [], [sympy.log(x), 1 / x, 10 ** x, x ** sympy.Rational(3, 2)], evaluator)
    assert list(fn(np.array([0.0]))[:2]) == [-math.inf, math.inf]
    assert fn(np.array([400.0]))[2] == math.inf
    assert math.isnan(fn(np.array([-1.0]))[3]) and fn(np.array([1.0]))[3] == 1.0


def test_a_complex_sympy_constant_is_nan():
    x = sympy.Symbol("x")
    log_neg = compile_exprs([x], [], [sympy.log(-2 * x)], "sympy")(np.array([1.0]))[0]
    assert math.isnan(log_neg)                      # log(-2): complex in SymPy, nan as in numpy


@pytest.mark.parametrize("evaluator", EVALUATORS)
def test_cse_replacements_and_sample_rows(evaluator):
    x, y = sympy.symbols("x y")
    exprs = [sympy.exp(x + 1) + (x + 1) ** 2, sympy.Integer(3), y * (x + 1)]
    repl, red = sympy.cse(exprs)
    fn = compile_exprs([x, y], repl, red, evaluator)
    assert repl and list(fn(np.array([-1.0, 5.0]))) == [1.0, 3.0, 0.0]
    rows = fn(np.array([[-1.0, 5.0], [0.0, 2.0]]))                # one row per sample
    assert rows.shape == (2, 3) and list(rows[:, 1]) == [3.0, 3.0] and rows[1, 2] == 2.0


def test_unknown_evaluator_is_typed():
    with pytest.raises(BadOptionError, match="evaluator must be one of"):
        compile_exprs([sympy.Symbol("x")], [], [sympy.Symbol("x")], "llvm")
