"""`diffcompare swell`: the table fits 120 columns, formulas verbatim, progress where stdout is
not a terminal, typed one-line errors, and no process outlives the command."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from procs import descendants, still_alive

from diffcompare.cli import main

ENV = {**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200"}


def test_table_fits_120_columns_and_wide_shows_more(tmp_path, capsys):
    assert main(["swell", "--max-depth", "3", "--budget", "0.5", "--out", str(tmp_path), "--no-examples"]) == 0
    out = capsys.readouterr().out
    table = [l for l in out.splitlines() if l.startswith(("┃", "│"))]
    assert len(table) == 4 and max(len(l) for l in table) <= 120 and "tree d/dp1" in out and "count_ops" not in out
    assert "DAG of d/dw1 = 8*d + 3  (exact on all 3 measured d <= 3)" in out
    assert (tmp_path / "swell_softplus_chain_w1.png").stat().st_size > 1000
    assert main(["swell", "--depths", "1", "--budget", "0.5", "--out", str(tmp_path), "--no-examples",
                 "--wide"]) == 0
    assert "count_ops" in capsys.readouterr().out


def test_issue16_6_mathematica_printed_verbatim(tmp_path, capsys):
    assert main(["swell", "--max-depth", "1", "--budget", "5", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "D[Log[1 + Exp[w*x + b]], w]" in out and "x*Exp[b + w*x]/(Exp[b + w*x] + 1)" in out


def test_json_rows_with_structured_statuses(tmp_path, capsys):
    assert main(["swell", "--model", "softplus_chain", "--set", "width=2", "--depths", "30", "--budget", "0.2",
                 "--json", "--out", str(tmp_path), "--engine", "sympy"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["depth"] == 30 and row["status"]["diff1"]["state"] == "intractable"
    assert row["status"]["diff1"]["budget"] == 0.2 and row["status"]["cse"]["cause"] in ("diff1", "diff")
    assert isinstance(row["rev_tree"], str) or row["rev_tree"] > 0          # big ints as text in JSON


@pytest.mark.parametrize("argv, match", [
    (["--set", "width=3"], "width=1|2"), (["--model", "mlp"], "softplus_chain or logistic_map"),
    (["--depths", "a,b"], "comma-separated integers"), (["--depths", "0"], ">= 1"),
    (["--max-depth", "100000"], "--max-cost"), (["--budget", "0"], "budget must be > 0"),
])
def test_bad_options_are_one_line(argv, match, tmp_path, capsys):
    assert main(["swell", "--out", str(tmp_path), *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and match in err[0]


def test_progress_when_stderr_is_not_a_terminal(tmp_path):
    r = subprocess.run([sys.executable, "-m", "diffcompare", "swell", "--max-depth", "2", "--budget", "5",
                        "--no-examples", "--out", str(tmp_path), "--engine", "sympy"],
                       capture_output=True, text=True, timeout=120, env=ENV)
    assert r.returncode == 0, r.stderr
    lines = r.stderr.splitlines()
    assert lines[0].startswith("swell: softplus_chain (width 1): estimated") and "diff1 done at depth 2" in r.stderr
    assert all(l.startswith("swell: ") for l in lines)




@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_issue12_2_no_process_outlives_swell(sig, tmp_path):
    # width 2, budget 20: diff1 runs for seconds while its dependents wait -- a tree of processes
    p = subprocess.Popen([sys.executable, "-m", "diffcompare", "swell", "--set", "width=2", "--max-depth", "9",
                          "--budget", "20", "--out", str(tmp_path), "--no-examples"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=ENV,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline, family = time.monotonic() + 60, []
    while time.monotonic() < deadline:
        family = descendants(p.pid)
        if len(family) >= 3:
            break
        time.sleep(0.1)
    assert len(family) >= 3, "the sweep never started its step processes"
    p.send_signal(sig)
    p.wait(timeout=10)
    assert not still_alive(family)
    if sig == signal.SIGINT:
        err = p.stderr.read()
        assert p.returncode == 130 and "interrupted" in err, err[-2000:]


def test_issue14_order_2_shows_the_hessian(tmp_path, capsys):
    assert main(["swell", "--order", "2", "--max-depth", "3", "--budget", "5", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "softplus_chain width 1:" in out and "Hessian s" in out and "│ 3 │" in out and "12,538" in out
    assert "SymPy's Hessian at d = 3: tree 12,538 = x26 the gradient's 487" in out
    assert (tmp_path / "swell_softplus_chain_w1_order2.png").exists()
