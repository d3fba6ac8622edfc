import math

import numpy as np
import sympy

from diffcompare.symbolic.evaluate import compile_exprs


def test_compiled_code_follows_ieee_not_python_floats():
    x = sympy.Symbol("x")
    fn = compile_exprs([x], [], [sympy.log(x), 1 / x, 10 ** x, x ** sympy.Rational(3, 2), sympy.log(-2 * x)])
    log0, inv0, *_ = fn(np.float64(0.0))
    assert log0 == -math.inf and inv0 == math.inf
    _, _, big, _, _ = fn(np.float64(400.0))
    assert big == math.inf
    *_, neg_pow, log_neg = fn(np.float64(1.0))
    assert neg_pow == 1.0 and math.isnan(log_neg)          # log(-2): complex in SymPy, nan here
    assert math.isnan(fn(np.float64(-1.0))[3])


def test_cse_replacements_are_used():
    x = sympy.Symbol("x")
    exprs = [sympy.exp(x + 1) + (x + 1) ** 2]
    repl, red = sympy.cse(exprs)
    assert repl and compile_exprs([x], repl, red)(np.float64(-1.0)) == [1.0]
