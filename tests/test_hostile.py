"""What a hostile run found (issue 12), one test per numbered finding, named after it: a
careless user, a hostile string and a crashing machine get a typed one-line error, an IEEE
answer in the right entry, or a refusal that names its estimate -- never a raw traceback,
a silently wrong number, a lost file or a process left behind."""
import json
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from procs import descendants, still_alive

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


# --- 1. a report never deletes a file it did not write -------------------------------------

def test_finding_1_report_refuses_a_folder_with_a_stranger_records_json(tmp_path):
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "records.json").write_text('{"mine": 1}')
    (proj / "analysis.py").write_text("x = 1\n")
    err = _one_line_exit_2(_cli("report", "--quick", "--only", "summary", "--out", str(proj)))
    assert "refusing to replace" in err
    assert sorted(p.name for p in proj.iterdir()) == ["analysis.py", "records.json"]
    assert [p.name for p in tmp_path.iterdir()] == ["proj"]                # no .old-* / .new-*


# --- 2. no process outlives its command --------------------------------------------------------



@pytest.mark.parametrize("argv", [["explain", "log(1+exp(w2*log(1+exp(w1*x+b1))+b2))", "--wrt", "w1", "--at",
                                   "w1=0.5,x=2,b1=0.1,w2=0.3,b2=0.2", "--budget", "30"],
                                  ["swell", "--model", "logistic_map", "--max-depth", "40", "--budget", "30"]])
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_finding_2_killing_a_command_leaves_no_worker(argv, sig, tmp_path):
    p = subprocess.Popen([sys.executable, "-m", "diffcompare", *argv], cwd=tmp_path, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    family, deadline = set(), time.monotonic() + 30
    while not family and time.monotonic() < deadline and p.poll() is None:
        time.sleep(0.1)
        family = set(descendants(p.pid))
    assert family, "the command started no worker to kill"
    time.sleep(0.3)
    family |= set(descendants(p.pid))
    p.send_signal(sig)
    p.wait(timeout=30)
    assert not still_alive(family)


# --- 3. unbounded work estimates its cost and refuses, naming the option -------------------

def test_finding_3_swell_at_depth_100000_is_refused_with_its_estimate():
    err = _one_line_exit_2(_cli("swell", "--max-depth", "100000"))
    assert "estimated at" in err and "--max-cost" in err and "--max-memory" in err


def test_finding_3_a_billion_epochs_are_refused_before_they_run():
    r = _cli("train", "--model", "perceptron", "--data", "lecture", "--epochs", "1000000000")
    err = r.stderr.strip().splitlines()[-1]            # after the progress lines stderr gets off a terminal
    assert r.returncode == 2 and "Traceback" not in r.stderr and err.startswith("diffcompare: error:")
    assert "would take about" in err and "--max-seconds" in err


def test_finding_3_central_differences_at_a_million_params_are_refused():
    f = lambda p, xp: xp.sum(p["w"] * p["w"])
    with pytest.raises(IntractableError, match="budget=SECONDS"):
        dc.grad(f, "central")({"w": np.ones(1_000_000)})


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


# --- 7. finite differences in a precision that resolves the step; models cannot touch params ---

def test_finding_7_float16_params_are_differenced_where_the_step_resolves():
    f = lambda p, xp: xp.sum(p["w"] * np.array([1.0, -2.0, 4.0]))
    g = dc.grad(f, "central")({"w": np.full(3, 0.5, dtype=np.float16)})["w"]
    assert np.allclose(np.asarray(g, float), [1.0, -2.0, 4.0], rtol=1e-3)


@pytest.mark.parametrize("method", ["central", "forward", "richardson", "complex-step", "autodiff", "autodiff-forward"])
def test_finding_7_a_model_that_mutates_its_params_never_touches_the_callers(method):
    w = np.array([1.0, 2.0])
    params = {"w": w, "b": 0.5}

    def mutating(p, xp):
        out = xp.sum(p["w"] * p["w"]) + p["b"]
        if isinstance(p["w"], np.ndarray) and p["w"].dtype.kind == "f":
            p["w"][0] = 99.0                       # writes into what it was handed
        p["b"] = 100.0                             # rebinds a key of the dict it was handed
        return out
    dc.grad(mutating, method)(params)
    assert params["b"] == 0.5 and w.tolist() == [1.0, 2.0] and params["w"] is w


@pytest.mark.parametrize("f, at", [(lambda p, xp: p["w"] ** 0.5, {"w": -1.0}),
                                   (lambda p, xp: xp.abs(p["w"]), {"w": 1.0})])
def test_finding_7_the_complex_step_refuses_where_it_is_not_valid(f, at):
    with pytest.raises(DiffcompareError):
        dc.grad(f, "complex-step")(at)


# --- 8. the symbolic method answers IEEE, never a raw exception ----------------------------------

@pytest.mark.parametrize("f, at, want", [(lambda p, xp: xp.log(p["x"]), 0.0, np.inf),
                                         (lambda p, xp: 1.0 / p["x"], 0.0, -np.inf),
                                         (lambda p, xp: 10.0 ** p["x"], 400.0, np.inf)])
def test_finding_8_symbolic_at_a_singularity_answers_like_the_others(f, at, want):
    with np.errstate(all="ignore"):
        g = dc.grad(f, "symbolic")({"x": at})["x"]
        a = dc.grad(f, "autodiff")({"x": at})["x"]
    assert g == want and a == want


def test_finding_8_explain_log_at_zero_is_a_result_not_a_traceback():
    r = _cli("explain", "log(x)", "--at", "x=0")
    assert r.returncode == 0 and "Traceback" not in r.stderr and "value = -inf" in r.stdout


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


def test_finding_9_symbolic_on_a_model_that_branches_on_a_parameter_says_so():
    def f(p, xp):
        z = p["w"] * 2.0
        return z * z if z > 0 else -z
    with pytest.raises(DiffcompareError, match="branches on a parameter"):
        dc.grad(f, "symbolic")({"w": 0.5})
    assert dc.grad(f, "autodiff")({"w": 0.5}) == {"w": 4.0}
