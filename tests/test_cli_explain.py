"""`diffcompare explain` where the maths has no finite answer: a proper result, never a traceback."""
import math

import pytest

from diffcompare.cli import main
from diffcompare.cli.explain import explain_expression


@pytest.mark.parametrize("text, at, want", [("log(x)", "x=0", math.inf), ("1/x", "x=0", -math.inf),
                                            ("10**x", "x=400", math.inf), ("x**1.5", "x=-1", math.nan)])
def test_issue12_8_explain_at_a_singularity_is_a_result(text, at, want, capsys):
    assert main(["explain", text, "--at", at]) == 0
    cap = capsys.readouterr()
    assert "Traceback" not in cap.out + cap.err and "agree: cannot tell" in cap.out
    res = explain_expression(text, at)
    sym, ad = res["symbolic"]["value"], res["autodiff"]["value"]
    assert (math.isnan(sym) and math.isnan(ad)) if math.isnan(want) else sym == ad == want


def test_explain_uses_the_one_definition_of_intractable():
    from diffcompare.cli import build_parser
    from diffcompare.symbolic import DEFAULT_BUDGET
    assert build_parser().parse_args(["explain", "x"]).budget == DEFAULT_BUDGET
    assert build_parser().parse_args(["swell"]).budget == DEFAULT_BUDGET
