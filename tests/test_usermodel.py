"""The one loader of a user's MODULE:FUNC and params files, and `diffcompare check` on top of it:
typed one-line errors, exit codes, the help text saying what importing means."""
import json
import sys

import numpy as np
import pytest

from diffcompare.cli import build_parser, main
from diffcompare.errors import BadParamsError
from diffcompare.usermodel import UserCodeError, load_callable, load_params

MOD = ("import numpy as np\n"
       "def f(x): return float(np.sum(np.tanh(x)))\n"
       "def g(x): return 1 - np.tanh(x) ** 2\n"
       "def bad(x): return 1 - np.tanh(x)\n"
       "def kink(x): return float(np.sum(np.maximum(x, 0)))\n"
       "def sgn(x): return (x > 0) * 1.0\n"
       "def exits(x): raise SystemExit(0)\n"
       "def lin(x): return np.array([[1.0, 2.0], [0.0, 1.0], [3.0, 1.0]]) @ x\n"
       "A = np.array([[1.0, 2.0], [0.0, 1.0], [3.0, 1.0]])\n"
       "def lin_vjp(x, yb): return A.T @ yb\n"
       "def lin_vjp_bug(x, yb): return A[:2, :2] @ yb[:2]\n"
       "def lin_jvp(x, xd): return A @ xd\n"
       "def hess(x): return np.diag(-2 * np.tanh(x) * (1 - np.tanh(x) ** 2))\n"
       "POINT = [0.1, 0.2]\n")


@pytest.fixture
def here(tmp_path, monkeypatch):
    (tmp_path / "gcmod.py").write_text(MOD)
    (tmp_path / "broken.py").write_text("def f(x):\n    return x +\n")
    (tmp_path / "raiser.py").write_text("raise RuntimeError('no data file')\n")
    (tmp_path / "quitter.py").write_text("import sys\nsys.exit(0)\n")
    (tmp_path / "p.json").write_text(json.dumps([0.1, -0.4, 0.9]))
    (tmp_path / "p2.json").write_text(json.dumps([0.1, -0.4]))
    (tmp_path / "z.json").write_text(json.dumps([0.0, 0.0]))
    monkeypatch.chdir(tmp_path)
    for m in ("gcmod", "broken", "raiser", "quitter"):
        sys.modules.pop(m, None)
    return tmp_path


def test_load_callable_errors_are_typed(here):
    assert load_callable("gcmod:f")(np.zeros(2)) == 0.0
    for target, text in (("broken:f", "SyntaxError (broken.py, line 2)"), ("raiser:f", "RuntimeError: no data file"),
                         ("quitter:f", "SystemExit"), ("nosuch:f", "no such module"), ("gcmod:nope", "has no"),
                         ("gcmod:POINT", "not a function"), ("gcmod", "MODULE:NAME"), ("gcmod:__class__", "MODULE:NAME")):
        with pytest.raises(UserCodeError, match=text.replace("(", r"\(").replace(")", r"\)")):
            load_callable(target)


def test_load_params_formats_and_refusals(here):
    assert np.allclose(load_params("p.json"), [0.1, -0.4, 0.9])
    (here / "d.json").write_text(json.dumps({"W": [[1, 2], [3, 4]], "b": 0.5}))
    d = load_params("d.json")
    assert d["W"].dtype == np.float64 and d["W"].shape == (2, 2) and d["b"] == 0.5
    np.savez(here / "p.npz", W=np.ones((2, 2), np.float32), b=np.array(0.5))
    z = load_params("p.npz")
    assert z["W"].dtype == np.float32 and z["b"] == 0.5
    np.save(here / "a.npy", np.arange(3.0))
    assert np.allclose(load_params("a.npy"), [0, 1, 2])
    assert np.allclose(load_params("gcmod:POINT"), [0.1, 0.2])
    for body, text in (({"w": True}, "boolean"), ({"w": [1, True]}, "boolean"), ({"w": [[1, 2], [3]]}, "ragged"),
                       ({"w": "x"}, "float or an array"), ({"w": [1, "a"]}, "real numbers"), ({}, "no params"),
                       ({"w": None}, "float or an array"), ([], "empty")):
        (here / "bad.json").write_text(json.dumps(body))
        with pytest.raises(BadParamsError, match=text):
            load_params("bad.json")
    (here / "nan.json").write_text('{"w": NaN}')
    with pytest.raises(BadParamsError, match="NaN"):
        load_params("nan.json")
    with pytest.raises(BadParamsError, match="does not exist"):
        load_params("missing.json")


def test_cli_exit_codes(here, capsys):
    assert main(["check", "gcmod:f", "--params", "p.json", "--grad", "gcmod:g"]) == 0
    capsys.readouterr()
    assert main(["check", "gcmod:f", "--params", "p.json", "--grad", "gcmod:bad"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and len(out.splitlines()) <= 30
    assert main(["check", "gcmod:kink", "--params", "z.json", "--grad", "gcmod:sgn", "--points", "1"]) == 0
    assert "INCONCLUSIVE" in capsys.readouterr().out
    assert main(["check", "gcmod:kink", "--params", "z.json", "--grad", "gcmod:sgn", "--points", "1",
                 "--strict"]) == 2
    for argv in (["gcmod:f", "--params", "p.json", "--grad", "gcmod:nope"],
                 ["broken:f", "--params", "p.json", "--grad", "gcmod:g"],
                 ["raiser:f", "--params", "p.json", "--grad", "gcmod:g"],
                 ["gcmod:f", "--params", "p.json", "--grad", "gcmod:exits"],     # SystemExit(0) is no pass
                 ["gcmod:f", "--params", "p.json", "--grad", "gcmod:g", "--max-evals", "5"]):
        capsys.readouterr()
        assert main(["check", *argv]) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("diffcompare: error:") and len(err.splitlines()) == 1, err
    assert main(["check", "gcmod:f", "--params", "p.json", "--grad", "gcmod:g", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "pass"


def test_cli_vector_and_second_order(here, capsys):
    assert main(["check", "gcmod:lin", "--params", "p2.json", "--vjp", "gcmod:lin_vjp"]) == 0
    assert main(["check", "gcmod:lin", "--params", "p2.json", "--jvp", "gcmod:lin_jvp"]) == 0
    assert main(["check", "gcmod:lin", "--params", "p2.json", "--vjp", "gcmod:lin_vjp_bug"]) == 1
    assert main(["check", "gcmod:f", "--params", "p.json", "--grad", "gcmod:g", "--hess", "gcmod:hess"]) == 0


def test_check_help_says_module_is_imported():
    text = build_parser()._subparsers._group_actions[0].choices["check"].format_help()
    assert "imported" in text and "sys.path" in text and "top-level code runs" in " ".join(text.split())
