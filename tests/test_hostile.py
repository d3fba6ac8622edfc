"""What a hostile run found (issue 12), one test per numbered finding, named after it: a
careless user, a hostile string and a crashing machine get a typed one-line error, an IEEE
answer in the right entry, or a refusal that names its estimate -- never a raw traceback,
a silently wrong number, a lost file or a process left behind."""
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import diffcompare as dc
from diffcompare.errors import BadOptionError, DiffcompareError, IntractableError, NonScalarOutputError

EXACT = ("autodiff", "autodiff-forward", "autodiff-compiled")


def _cli(*argv, cwd=None):
    return subprocess.run([sys.executable, "-m", "diffcompare", *argv], capture_output=True, text=True,
                          timeout=120, cwd=cwd)


def _one_line_exit_2(r):
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    return r.stderr


# --- 3. unbounded work estimates its cost and refuses, naming the option -------------------

def test_finding_3_forward_mode_at_a_million_params_is_refused_not_a_memory_error():
    f = lambda p, xp: xp.sum(p["w"] * p["w"])
    with pytest.raises(IntractableError, match=r"n = 1,000,000 .*budget=SECONDS") as e:
        dc.grad(f, "autodiff-forward")({"w": np.ones(1_000_000)})
    assert e.value.kind == "estimate"
    assert dc.grad(f, "autodiff")({"w": np.ones(1_000_000)})["w"][0] == 2.0     # reverse mode: one pass


# --- 4. forward mode keeps a NaN in its own entry --------------------------------------------

@pytest.mark.parametrize("method", EXACT)
def test_finding_4_a_nan_does_not_leak_into_independent_entries(method):
    f = lambda p, xp: xp.sum(xp.sqrt(p["w"])) + 3 * p["b"]
    with np.errstate(all="ignore"):
        g = dc.grad(f, method)({"w": np.array([0.0, 1.0]), "b": 2.0})
    assert np.isposinf(g["w"][0]) and g["w"][1] == 0.5 and g["b"] == 3.0


# --- 5. ** at base 0 -------------------------------------------------------------------------

@pytest.mark.parametrize("method", EXACT + ("autograd",))
def test_finding_5_pow_at_base_zero(method):
    with np.errstate(all="ignore"):
        assert dc.grad(lambda p, xp: p["x"] ** 0.0 + p["x"], method)({"x": 0.0})["x"] == 1.0
        g = dc.grad(lambda p, xp: p["x"] ** p["y"], method)({"x": 0.0, "y": 2.0})
    assert g == {"x": 0.0, "y": 0.0}


# --- 6. tanh' and sigmoid' do not cancel, in every namespace ---------------------------------

@pytest.mark.parametrize("method", EXACT + ("symbolic",))
@pytest.mark.parametrize("fn, x, true", [("tanh", 20.0, 1.6993417021166355e-17),
                                          ("sigmoid", 40.0, 4.248354255291589e-18),
                                          ("tanh", 12.0, 1.5101030718087916e-10)])
def test_finding_6_activation_derivatives_keep_their_digits(method, fn, x, true):
    g = dc.grad(lambda p, xp: getattr(xp, fn)(p["x"]), method)({"x": x})["x"]
    assert g == pytest.approx(true, rel=1e-14)
    gc = dc.grad(lambda p, xp: getattr(xp, fn)(p["x"]), method)
    gc({"x": 0.5})
    assert gc({"x": x})["x"] == pytest.approx(true, rel=1e-14)       # the compiled program too


# --- 9. every bad input a typed, one-line error ----------------------------------------------

@pytest.mark.parametrize("method", EXACT + ("central", "symbolic"))
@pytest.mark.parametrize("returns", ["a string", None])
def test_finding_9_a_model_that_returns_no_number(method, returns):
    with pytest.raises(DiffcompareError):
        dc.grad(lambda p, xp: returns, method)({"x": 1.0})
    with pytest.raises(NonScalarOutputError):
        dc.grad(lambda p, xp: returns, "autodiff")({"x": 1.0})


def test_finding_9_an_option_the_method_does_not_take():
    with pytest.raises(BadOptionError, match="method 'autodiff' takes no options; got 'h'"):
        dc.grad(lambda p, xp: p["x"], "autodiff", h=1e-3)
    with pytest.raises(BadOptionError, match="takes chunk, budget"):
        dc.grad(lambda p, xp: p["x"], "autodiff-forward", levels=3)


@pytest.mark.parametrize("value, says", [("1e-400", "underflows to 0"), ("9" * 100_000, "100000 characters"),
                                         ("1e400", "overflows a float")])
def test_finding_9_at_values_are_refused_as_the_literal_would_be(value, says):
    err = _one_line_exit_2(_cli("trace", "w*x", "--at", f"w={value},x=1"))
    assert says in err and len(err) < 200


@pytest.fixture
def user_dir(tmp_path):
    (tmp_path / "broken.py").write_text("def f(x):\n    return (\n")
    (tmp_path / "raising.py").write_text("raise RuntimeError('at import')\n")
    (tmp_path / "good.py").write_text(textwrap.dedent("""
        import numpy as np
        def f(x):
            return float(np.sum(np.asarray(x["w"]) ** 2))
        def g(x):
            return {"w": 2 * np.asarray(x["w"])}
        def exits(x):
            raise SystemExit(0)
    """))
    (tmp_path / "ragged.json").write_text(json.dumps({"w": [[1, 2], [3]]}))
    (tmp_path / "words.json").write_text(json.dumps({"w": ["a", "b"]}))
    (tmp_path / "bool.json").write_text(json.dumps({"w": True}))
    (tmp_path / "ok.json").write_text(json.dumps({"w": [1.0, 2.0]}))
    return tmp_path


@pytest.mark.parametrize("argv, says", [
    (["broken:f", "--grad", "good:g", "--params", "ok.json"], "broken"),
    (["raising:f", "--grad", "good:g", "--params", "ok.json"], "at import"),
    (["good:f", "--grad", "good:g", "--params", "ragged.json"], "ragged"),
    (["good:f", "--grad", "good:g", "--params", "words.json"], "w"),
    (["good:f", "--grad", "good:g", "--params", "bool.json"], "w"),
    (["good:f", "--grad", "good:exits", "--params", "ok.json"], "SystemExit"),
])
def test_finding_9_check_with_bad_user_input(user_dir, argv, says):
    err = _one_line_exit_2(_cli("check", *argv, cwd=user_dir))
    assert says in err


# --- 10. check says it imports the module -----------------------------------------------------

def test_finding_10_check_help_says_module_is_imported_and_cwd_is_on_the_path():
    out = " ".join(_cli("check", "--help").stdout.split())
    assert "MODULE is imported (its top-level code runs)" in out and "sys.path" in out
