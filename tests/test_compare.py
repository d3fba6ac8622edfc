"""dc.compare and the report on a user's own model (issue 17), with models written in a
separate module the way a user would."""
import json
import os
import sys

import numpy as np
import pytest

from diffcompare import highprec
from diffcompare.compare import FAILED, REL_ERROR, S_PER_GRAD, DiffcompareError, compare
from diffcompare.experiments import yourmodel as ym
from diffcompare.records import from_json

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "user_project"))
import mymodels  # noqa: E402


@pytest.fixture(scope="module")
def mlp():
    return compare(mymodels.mlp_loss, mymodels.MLP_PARAMS, repeats=3, min_time=0.002)


def test_compare_every_method_against_the_50_digit_reference(mlp):
    assert mlp.reference == highprec.SYMPY_LABEL and mlp.n == 13
    errs = {r.method: r.value for r in mlp.records if r.metric == REL_ERROR}
    assert set(errs) == set(mlp.methods)
    assert all(errs[m] < 1e-14 for m in ("autodiff", "autodiff-compiled", "autograd", "complex-step"))
    assert 1e-13 < errs["central"] < 1e-7 and errs["forward"] > errs["central"]
    assert all(r.reference == highprec.SYMPY_LABEL for r in mlp.records if r.metric == REL_ERROR)
    t = [r for r in mlp.records if r.metric == S_PER_GRAD]
    assert len(t) == len(mlp.methods) and all(r.lo <= r.value <= r.hi and r.repeats == 3 for r in t)
    counts = {(r.method, r.metric): r.value for r in mlp.records}
    assert counts[("central", "evals")] == 2 * 13 + 1 and counts[("autodiff", "tape_length")] > 0


def test_table_and_json(mlp):
    text = mlp.table()
    assert text.splitlines()[0].startswith("mlp_loss: n = 13 parameters") and highprec.SYMPY_LABEL in text
    assert "evals=27" in text and "[" in text.split("central", 1)[1].splitlines()[0]     # median [min-max]
    meta, recs = from_json(mlp.to_json())
    assert meta["reference"] == highprec.SYMPY_LABEL and len(recs) == len(mlp.records)


def test_a_method_that_does_not_apply_says_why_and_the_others_run():
    c = compare(mymodels.charge, mymodels.CHARGE_PARAMS, repeats=3, min_time=0.002)
    failed = {r.method: r.value for r in c.records if r.metric == FAILED}
    assert set(failed) == {"complex-step"} and "absolute" in failed["complex-step"]
    errs = {r.method: r.value for r in c.records if r.metric == REL_ERROR}
    assert errs["autodiff"] < 1e-15 and errs["five-point"] > 1.0       # the singularity at 1e-3 breaks wide stencils
    assert "complex-step" in c.table() and "failed" in c.table()


def test_the_reference_falls_back_to_the_best_exact_method_and_says_why():
    c = compare(mymodels.mlp_loss, mymodels.MLP_PARAMS, methods=["autodiff"], budget=1e-3, repeats=2,
                   min_time=0.001)
    assert c.reference == "autograd" and "intractable" in c.why
    c = compare(mymodels.mlp_loss, mymodels.MLP_PARAMS, methods=["central"], reference="autodiff", repeats=2,
                   min_time=0.001)
    assert c.reference == "autodiff"
    with pytest.raises(DiffcompareError):
        compare(mymodels.mlp_loss, mymodels.MLP_PARAMS, methods=["nope"])


def test_your_model_records_say_what_does_not_apply():
    recs = ym.run(mymodels.charge, mymodels.CHARGE_PARAMS, "charge", quick=True, budget=10)
    na = {r.method: r.value for r in recs if r.metric == ym.NOT_APPLICABLE}
    assert "complex-step" in na and "gradient check" in na and "--grad" in na["gradient check"]
    assert any(r.section == "fd_sweep" for r in recs)                     # the V-curve ran
    assert all(r.reference for r in recs if r.metric in ("rel_error", "abs_error"))


def test_the_report_on_your_model(tmp_path):
    from diffcompare.report import build
    from diffcompare.report.sections import yourmodel
    secs = yourmodel.sections(mymodels.mlp_loss, mymodels.MLP_PARAMS, "mlp_loss", quick=True, budget=10,
                              grad=mymodels.mlp_grad)
    out, recs = build.build_report(tmp_path / "r", quick=True, sections=secs)
    md = (out / "README.md").read_text()
    assert "## Your model: mlp\\_loss" in md and "fastest exact gradient" in md
    assert "Your gradient, checked: pass" in md
    assert "mlp\\_loss, params x 2^511: autodiff, autodiff-forward, autograd, symbolic return the right value" in md
    assert json.loads((out / "records.json").read_text())["meta"]["generator"] == "diffcompare report"
    assert {f for f in os.listdir(out / "figures")} >= {"yourmodel_error_vs_time.png", "accuracy_error_vs_h.png"}
    assert np.isfinite([r.value for r in recs if r.metric == REL_ERROR]).all()


# --- the commands: MODULE:FUNC through the one loader (diffcompare.usermodel) ----------------------

@pytest.fixture
def project(monkeypatch, tmp_path):
    """The user's folder: their module, and their params in a JSON file (run from there, as a
    user would: the loader puts the current folder on sys.path)."""
    monkeypatch.chdir(os.path.join(os.path.dirname(__file__), "user_project"))
    monkeypatch.delitem(sys.modules, "mymodels", raising=False)
    (tmp_path / "charge.json").write_text(json.dumps(mymodels.CHARGE_PARAMS))
    np.savez(tmp_path / "mlp.npz", **mymodels.MLP_PARAMS)
    return tmp_path


def test_compare_command_on_module_func(project, capsys):
    from diffcompare.cli import main
    assert main(["compare", "mymodels:charge", "--params", str(project / "charge.json"), "--methods",
                 "autodiff,central,complex-step", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["meta"]["model"] == "mymodels:charge" and data["meta"]["reference"] == highprec.SYMPY_LABEL
    failed = [r for r in data["records"] if r["metric"] == FAILED]
    assert [r["method"] for r in failed] == ["complex-step"]
    assert main(["compare", "mymodels:charge"]) == 2                  # no --params: one line, exit 2
    assert "--params FILE" in capsys.readouterr().err
    assert main(["compare", "mymodels:nothing", "--params", str(project / "charge.json")]) == 2
    assert main(["compare", "mymodels:mlp_loss", "--params", str(project / "mlp.npz"), "--methods", "autodiff"]) == 0
    out = capsys.readouterr().out
    assert "mymodels:mlp_loss: n = 13 parameters" in out and "tape=" in out


def test_report_command_on_module_func(project, capsys):
    from diffcompare.cli import main
    out = project / "r"
    assert main(["report", "--model", "mymodels:charge", "--params", str(project / "charge.json"), "--quick",
                 "--budget", "10", "--out", str(out)]) == 0
    md = (out / "README.md").read_text()
    assert "## Your model: mymodels:charge" in md and "complex-step does not apply" in md
    assert json.loads((out / "records.json").read_text())["meta"]["command"].startswith(
        "diffcompare report --model mymodels:charge")
    assert main(["report", "--grad", "mymodels:mlp_grad", "--out", str(project / "x")]) == 2
