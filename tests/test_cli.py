import json
import subprocess
import sys

import pytest

from diffcompare.cli import main


def test_compare_json(capsys):
    assert main(["compare", "--model", "softplus", "--methods", "autodiff,autodiff-forward", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    errs = {r["method"]: r["value"] for r in data["records"] if r["metric"] == "rel_error"}
    assert set(errs) == {"autodiff", "autodiff-forward"}
    assert all(e < 1e-14 for e in errs.values())
    assert all(r["reference"] == "SymPy derivative at 50 digits (mpmath)" for r in data["records"]
               if r["metric"] == "rel_error")
    assert data["meta"]["reference"] == "SymPy derivative at 50 digits (mpmath)"
    assert main(["compare", "--model", "softplus", "--methods", "central", "--reference", "autograd", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {r["reference"] for r in data["records"] if r["metric"] == "rel_error"} == {"autograd"}


@pytest.mark.parametrize("argv", [["compare", "--model", "nope"], ["compare", "--methods", "magic"],
                                  ["compare", "--set", "depth"], ["compare", "--bogus"],
                                  ["compare", "--model", "softplus_chain", "--set", "depth=-1"]])
def test_bad_input_is_one_line_and_exit_2(argv):
    r = subprocess.run([sys.executable, "-m", "diffcompare", *argv], capture_output=True, text=True)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert r.stderr.startswith("diffcompare: error:")
