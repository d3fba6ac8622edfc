"""The CLI's second order: ``fd --order 2`` (one Hessian entry's V-curve) and ``compare
--order 2`` (every Hessian method), numbers and typed one-line errors."""
import json
import math

import pytest

from diffcompare.cli import main


def _records(capsys):
    return json.loads(capsys.readouterr().out)["records"]


def test_fd_order_2_sweeps_one_entry_with_its_model(capsys, tmp_path):
    assert main(["fd", "--order", "2", "--model", "softplus", "--wrt", "w", "--wrt2", "b", "--per-decade", "1",
                 "--out", str(tmp_path), "--json"]) == 0
    recs = _records(capsys)
    entry = [r for r in recs if r["metric"] == "hessian_entry"]
    assert len(entry) == 1 and entry[0]["extra"]["entry"] == "H[w, b]"
    s = 1 / (1 + math.exp(-1.1))
    assert entry[0]["value"] == pytest.approx(2 * s * (1 - s), rel=1e-14)         # x sigma'(w x + b), x = 2
    ratios = {r["method"]: r["extra"]["ratio"] for r in recs if r["metric"] == "at_optimum"}
    assert set(ratios) == {"central", "central-grad", "richardson", "richardson-grad"}
    assert all(1 / 3 <= q <= 3 for q in ratios.values())
    assert len(list(tmp_path.glob("fd2_softplus_H_w_b_float64.png"))) == 1


def test_fd_order_2_table_defaults_to_the_diagonal(capsys):
    assert main(["fd", "--order", "2", "--model", "neuron", "--wrt", "b", "--per-decade", "1", "--no-plot",
                 "--scheme", "central,central-grad", "--dtype", "float32"]) == 0
    out = capsys.readouterr().out
    assert "H[b, b]" in out and "central-grad" in out and "richardson" not in out and "float32" in out


@pytest.mark.parametrize("argv, message", [
    (["fd", "--order", "2", "--scheme", "forward"], "unknown scheme 'forward'"),
    (["fd", "--order", "3"], "invalid choice"),
    (["fd", "--order", "2", "--wrt2", "nope"], "no parameter 'nope'"),
    (["fd", "--order", "2", "--model", "mlp", "--wrt", "W1", "--index", "9,9"], "not an entry of W1"),
    (["compare", "--order", "2", "--methods", "magic"], "unknown second-derivative method 'magic'"),
    (["compare", "--order", "2", "--reference", "forward"], "unknown second-derivative method 'forward'"),
])
def test_bad_input_is_one_line_and_exit_2(argv, message, capsys):
    try:
        rc = main(argv)
    except SystemExit as e:          # argparse's own refusals exit from the parser
        rc = e.code
    assert rc == 2
    err = capsys.readouterr().err
    assert err.startswith("diffcompare: error:") and message in err and err.count("\n") == 1


def test_compare_order_2_every_method_against_the_50_digit_hessian(capsys):
    assert main(["compare", "--order", "2", "--model", "softplus", "--methods",
                 "autodiff,central,central-grad,richardson-grad", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["meta"]["reference"] == "SymPy Hessian at 50 digits (mpmath)"
    err = {r["method"]: r["value"] for r in data["records"] if r["metric"] == "hessian_rel_error"}
    assert err["autodiff"] <= 1e-15 and 1e-10 < err["central"] < 1e-6 and err["central-grad"] < 1e-9
    timed = [r for r in data["records"] if r["metric"] == "s_per_hessian"]
    assert len(timed) == 4 and all(r["lo"] <= r["value"] <= r["hi"] for r in timed)
    ev = {r["method"]: r["value"] for r in data["records"] if r["metric"] == "hessian_evals"}
    assert ev == {"central": 10, "central-grad": 4, "richardson-grad": 8}


def test_compare_order_2_table(capsys):
    assert main(["compare", "--order", "2", "--model", "mlp4", "--methods", "autodiff,central-grad",
                 "--reference", "autodiff"]) == 0
    out = capsys.readouterr().out
    assert "against the autodiff" in out and "time per Hessian" in out and "8 of gradient" in out
