"""`diffcompare trace` and `diffcompare explain`: the slide's trace, the side-by-side
comparison, and hostile expressions giving one line and exit 2 (never a traceback)."""
import json
import subprocess
import sys

import pytest
import sympy

import diffcompare as dc
from diffcompare.cli import main
from diffcompare.cli.explain import explain_expression, sympy_sizes

NEURON = "(1/(1+exp(-(w*x+b))) - t)**2/2"
AT = "w=0.5,x=2,b=0.1,t=1"

# The lecture's slide, line for line.
SLIDE = [("t1", "w*x"), ("z", "t1 + b"), ("t3", "-z"), ("t4", "exp(t3)"), ("t5", "1 + t4"),
         ("y", "1/t5"), ("t6", "y - t"), ("t7", "t6**2"), ("L", "t7/2")]


def _forward_lines(out):
    lines = out.splitlines()
    fwd = lines[lines.index("forward:") + 1:lines.index("backward:")]
    return [tuple(p.strip() for p in line.split(" = ")[:2]) for line in fwd]


def test_trace_neuron_with_the_slides_names(capsys):
    assert main(["trace", NEURON, "--at", AT, "--names", "slide"]) == 0
    out = capsys.readouterr().out
    assert _forward_lines(out) == SLIDE
    assert "L  = t7/2     = 0.031185" in out
    assert "dL/dw = -0.0935875" in out


def test_trace_neuron_default_names_are_the_same_nine_ops(capsys):
    import re
    assert main(["trace", NEURON, "--at", AT]) == 0
    got = _forward_lines(capsys.readouterr().out)
    rename = {s: f"t{k}" for k, (s, _) in enumerate(SLIDE, 1)}
    want = [(rename[n], re.sub(r"[A-Za-z]\w*", lambda m: rename.get(m.group(), m.group()), e))
            for n, e in SLIDE]
    assert got == want
    assert want[2] == ("t3", "-t2") and want[8] == ("t9", "t8/2")


def test_trace_json_matches_autodiff(capsys):
    assert main(["trace", NEURON, "--at", AT, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ops"] == 9
    assert [r["op"] for r in data["forward"]] == ["mul", "add", "neg", "exp", "add", "div",
                                                  "sub", "pow", "div"]
    model = dc.models.get("neuron")
    g = dc.grad(model)(model.params)
    assert data["grad"]["w"] == pytest.approx(g["w"], rel=1e-15)
    assert data["grad"]["b"] == pytest.approx(g["b"], rel=1e-15)
    assert data["value"] == pytest.approx(0.031185, abs=1e-6)


def test_trace_renames_ops_when_an_input_is_called_t1(capsys):
    assert main(["trace", "t1*t2", "--at", "t1=1,t2=2"]) == 0
    assert "v1 = t1*t2  = 2" in capsys.readouterr().out


def test_explain_softplus(capsys):
    res = explain_expression("log(1+exp(w*x+b))", "w=0.5,x=2,b=0.1", "w")
    w, x, b = (sympy.Symbol(n, real=True) for n in "wxb")
    d = sympy.diff(sympy.log(1 + sympy.exp(w * x + b)), w)
    sym = res["symbolic"]
    assert sympy.simplify(sym["sympy"] - d) == 0
    assert (sym["tree_size"], sym["dag_size"]) == sympy_sizes(d)
    assert sym["dag_size"] < sym["tree_size"]      # exp(b + w*x) appears twice
    exact = float(sympy.N(d.subs({w: 0.5, x: 2, b: sympy.Rational(0.1)}), 30))
    assert sym["reference"] == pytest.approx(exact, rel=1e-15)
    assert res["autodiff"]["rel_error"] < 1e-15
    assert res["autodiff"]["tape_length"] == 5
    assert res["best"]["central"]["rel_error"] < 1e-9
    assert res["best"]["forward"]["rel_error"] < 1e-7
    # central differences converge as h**2 while h is large: error(1e-2)/error(1e-3) ~ 100
    fd = {(r["scheme"], r["h"]): r["rel_error"] for r in res["finite_differences"]}
    assert 80 < fd[("central", 1e-2)] / fd[("central", 1e-3)] < 120
    assert 8 < fd[("forward", 1e-2)] / fd[("forward", 1e-3)] < 12
    assert res["agree"] is True

    assert main(["explain", "log(1+exp(w*x+b))", "--wrt", "w", "--at", "w=0.5,x=2,b=0.1",
                 "--ascii"]) == 0
    out = capsys.readouterr().out
    assert "1. symbolic" in out and "2. finite differences" in out and "3. autodiff" in out
    assert "x*e" in out                            # sympy.pretty's ASCII rendering
    assert "agree: yes" in out


def test_explain_json_and_options(capsys):
    assert main(["explain", "x**3", "--at", "x=2", "--h", "1e-3,1e-6",
                 "--schemes", "central,five-point", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["wrt"] == "x"
    assert data["symbolic"]["derivative"] == "3*x**2"
    assert data["symbolic"]["reference"] == 12.0
    assert [(r["scheme"], r["h"]) for r in data["finite_differences"]] == [
        ("central", 1e-3), ("central", 1e-6), ("five-point", 1e-3), ("five-point", 1e-6)]
    assert data["autodiff"]["value"] == 12.0
    assert data["agree"] is True


def test_explain_at_a_kink_and_an_infinite_derivative(capsys):
    assert main(["explain", "sqrt(w)", "--at", "w=0"]) == 0
    out = capsys.readouterr().out
    # d sqrt(w)/dw at 0 is +inf: autodiff says so (IEEE), the reference is SymPy's zoo
    assert "dt1/dw = inf" in out and "agree: cannot tell" in out
    res = explain_expression("exp(exp(w))", {"w": 10.0})
    assert res["agree"] is None                    # the reference overflows a float


@pytest.mark.parametrize("argv, match", [
    (["trace", "w*x", "--at", "w=1"], "no value for x"),
    (["trace", "w*x", "--at", "w=1,x=2,y=3"], "y is not in the expression"),
    (["trace", "w*x", "--at", "w=1e5000,x=1"], "overflows a float"),
    (["trace", "w*x", "--at", "w=1e-400,x=1"], "underflows to 0"),          # as the literal in the text is
    (["trace", "w*x", "--at", "w=" + "9" * 100_000 + ",x=1"], "100000 characters long"),
    (["trace", "w", "--at", "w=1", "--names", "a,b"], "--names gives 2 labels"),
    (["trace", "w*x", "--at", "w=1,x=2", "--names", "w"], "already names an input"),
    (["explain", "w*x", "--at", "w=1,x=2", "--wrt", "q"], "not a name in the expression"),
    (["explain", "w*x", "--at", "w=1,x=2", "--h", "0"], "positive"),
    (["explain", "w*x", "--at", "w=1,x=2", "--h", "abc"], "not a number"),
    (["explain", "w*x", "--at", "w=1,x=2", "--schemes", "magic"], "unknown finite-difference"),
    (["explain", "2+3"], "nothing to differentiate"),
])
def test_bad_options_are_one_line(argv, match, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and match in err


HOSTILE = ["x.real", "__import__('os').system('echo PWNED')", "lambda: 1", "import os",
           "system(1)", "[x for x in y]", "x if y else w", "9**9**9**9",
           "(" * 10000 + "x" + ")" * 10000, "x\x00+1", "\uff57*x", "", "exp(x).__class__",
           "x\n+1", "((((3*x)**100)**100)**100)**100"]


@pytest.mark.parametrize("command", ["trace", "explain"])
@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_expressions_in_process(command, text, capsys):
    assert main([command, text, "--at", "x=1"]) == 2
    cap = capsys.readouterr()
    assert cap.out == ""
    err = cap.err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("diffcompare: error:") and "Traceback" not in cap.err
    assert len(err[0]) < 300                       # names the column, never echoes a huge input


@pytest.mark.parametrize("text", [
    "__import__('os').system('touch {canary}')",
    "(" * 10000 + "x" + ")" * 10000,
    "\uff57*x + \uff11",
])
def test_hostile_expressions_by_subprocess(text, tmp_path):
    canary = tmp_path / "pwned"
    r = subprocess.run([sys.executable, "-m", "diffcompare", "trace", text.format(canary=canary),
                        "--at", "x=1"], capture_output=True, text=True, timeout=60,
                       env={"PYTHONIOENCODING": "utf-8", "PATH": "/usr/bin:/bin"})
    assert r.returncode == 2
    assert r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert "column" in r.stderr
    assert not canary.exists()


def test_explain_symbolic_past_its_budget_is_intractable_not_a_hang():
    res = explain_expression("log(1+exp(w2*log(1+exp(w1*x+b1))+b2))",
                             "w1=0.5,x=2,b1=0.1,w2=0.3,b2=0.2", "w1", hs=(1e-5,), budget=1e-6)
    assert "intractable" in res["symbolic"]["intractable"]
    assert res["agree"] is None and res["autodiff"]["value"] is not None
    from diffcompare.cli.explain import render
    assert "1. symbolic (SymPy): symbolic derivative: intractable" in render(res)
