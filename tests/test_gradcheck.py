"""gradcheck: the seeded-bug suite (a subset per dtype, kept fast), the error model at scale
extremes, the asserting form, the pytest fixture, and the CLI's exit codes."""
import json
import sys

import numpy as np
import pytest

import diffcompare as dc
from diffcompare import bugsuite  # noqa: E402
from diffcompare.cli import main
from diffcompare.gradcheck import GradcheckError, GradcheckInputError, assert_gradcheck, gradcheck

FAST_KINDS = ["half", "sign", "transpose", "sigmoid-prime", "bias", "off-by-one", "wrong-axis",
              "rel-1e-4", "tiny-block-sign", "under-regulariser", "kink-near", "kink-at",
              "noisy-f", "offset-1e8"]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_suite_no_false_alarms_and_detection(dtype):
    cases = bugsuite.suite(dtype, kinds=FAST_KINDS)
    s = bugsuite.score(cases, bugsuite.check_ours)
    assert s["false_alarms"] == 0, s["alarms"]
    rate = s["caught"] / s["bugs"]
    assert rate >= (0.97 if dtype == "float64" else 0.80), s["missed"]


def test_heldout_float64_subset():
    cases = bugsuite.suite("float64", heldout=True, kinds=["factor2", "kink-near", "noisy-f",
                                                            "mlp-backprop"])
    s = bugsuite.score(cases, bugsuite.check_ours)
    assert s["false_alarms"] == 0 and s["caught"] == s["bugs"], (s["alarms"], s["missed"])


def test_correct_gradients_at_scale_extremes_pass():
    x = np.linspace(0.1, 2, 30)
    for a, off in ((1e-12, 0.0), (1e12, 0.0), (1.0, 1e8), (1.0, -1e8)):
        r = gradcheck(lambda x: off + a * np.sum(np.sin(x)), x, lambda x: a * np.cos(x))
        assert r.status == "pass", (a, off, r.summary())
        r = gradcheck(lambda x: off + a * np.sum(np.sin(x)), x, lambda x: a * 1.001 * np.cos(x))
        assert r.status == "fail", (a, off)


def test_kink_exactly_at_point_is_inconclusive_with_reason():
    x = np.array([0.0, 1.0, -2.0])
    r = gradcheck(lambda x: np.sum(np.maximum(x, 0)), x, lambda x: (x > 0).astype(float), points=1)
    assert r.status == "inconclusive" and "kink" in r.reason


def test_float32_step_underflow_or_noise_is_not_fail():
    x = np.full(4, 3e4, dtype=np.float32)
    r = gradcheck(lambda x: np.float32(1e8) + np.sum(x * x), x, lambda x: 2 * x)
    assert r.status in ("pass", "inconclusive")


def test_one_bad_coordinate_is_named_first():
    rng = np.random.default_rng(3)
    x = rng.standard_normal(300)

    def g(x):
        out = np.cos(x)
        out[123] *= 1.01
        return out
    r = gradcheck(lambda x: np.sum(np.sin(x)), x, g)
    assert r.status == "fail"
    assert (r.entries[0].name, r.entries[0].index) == ("x", (123,))
    assert [e.index for e in r.failures if e.index is not None] == [(123,)]
    assert len(r.summary().splitlines()) <= 30


def test_dict_params_wrong_shape_and_missing_key_fail():
    p = {"W": np.ones((2, 3)), "b": 0.5}
    f = lambda p: np.sum(p["W"] ** 2) * p["b"]
    ok = lambda p: {"W": 2 * p["W"] * p["b"], "b": np.sum(p["W"] ** 2)}
    assert gradcheck(f, p, ok).status == "pass"
    r = gradcheck(f, p, lambda p: {"W": (2 * p["W"] * p["b"]).T, "b": np.sum(p["W"] ** 2)})
    assert r.status == "fail" and "shape" in r.reason
    assert gradcheck(f, p, lambda p: {"W": 2 * p["W"]}).status == "fail"


def test_method_name_checks_our_autodiff():
    m = dc.models.get("softplus_chain", depth=2)
    assert dc.gradcheck(m, m.init(0), "autodiff").status == "pass"


def test_deterministic_and_seeded():
    f, g = (lambda x: np.sum(np.exp(0.1 * x))), (lambda x: 0.1 * np.exp(0.1 * x))
    x = np.arange(8.0)
    a, b = gradcheck(f, x, g, seed=5), gradcheck(f, x, g, seed=5)
    assert [e.numeric for e in a.entries] == [e.numeric for e in b.entries]
    assert [e.numeric for e in gradcheck(f, x, g, seed=6).entries] != [e.numeric for e in a.entries]


def test_assert_form_and_bad_input():
    with pytest.raises(GradcheckError) as ei:
        assert_gradcheck(lambda x: np.sum(x ** 2), np.ones(3), lambda x: x)
    assert isinstance(ei.value, AssertionError) and "FAIL" in str(ei.value)
    assert len(str(ei.value).splitlines()) <= 30
    with pytest.raises(GradcheckInputError):
        gradcheck(lambda x: x, np.ones(3), lambda x: x)         # non-scalar f
    with pytest.raises(GradcheckInputError):
        gradcheck(lambda x: 0.0, np.array([np.nan]), lambda x: x)
    with pytest.raises(dc.DiffcompareError):
        gradcheck(lambda x: 0.0, np.ones(2), lambda x: x, tol=-1)


def test_fixture(gradcheck):
    gradcheck(lambda x: np.sum(x ** 3), np.arange(1.0, 4.0), lambda x: 3 * x ** 2)
    with pytest.raises(AssertionError):
        gradcheck(lambda x: np.sum(x ** 3), np.arange(1.0, 4.0), lambda x: 2 * x ** 2)


def test_cli_exit_codes(tmp_path, monkeypatch, capsys):
    (tmp_path / "gcmod.py").write_text(
        "import numpy as np\n"
        "def f(x): return float(np.sum(np.tanh(x)))\n"
        "def g(x): return 1 - np.tanh(x) ** 2\n"
        "def bad(x): return 1 - np.tanh(x)\n"
        "def kink(x): return float(np.sum(np.maximum(x, 0)))\n"
        "def sgn(x): return (x > 0) * 1.0\n")
    (tmp_path / "p.json").write_text(json.dumps([0.1, -0.4, 0.9]))
    (tmp_path / "z.json").write_text(json.dumps([0.0, 0.0]))
    monkeypatch.chdir(tmp_path)
    sys.modules.pop("gcmod", None)
    assert main(["check", "gcmod:f", "--params", "p.json", "--grad", "gcmod:g"]) == 0
    capsys.readouterr()
    assert main(["check", "gcmod:f", "--params", "p.json", "--grad", "gcmod:bad"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and len(out.splitlines()) <= 31
    assert main(["check", "gcmod:kink", "--params", "z.json", "--grad", "gcmod:sgn",
                 "--points", "1", "--strict"]) == 2
    assert main(["check", "gcmod:f", "--params", "p.json", "--grad", "gcmod:nope"]) == 2
    capsys.readouterr()
    assert main(["check", "gcmod:f", "--params", "p.json", "--grad", "gcmod:g", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "pass"


def test_records_quick_shape():
    from diffcompare.experiments.gradcheck import run as gradcheck_records
    pytest.importorskip("autograd")
    recs = [r for r in gradcheck_records(quick=True) if r.method == "diffcompare"]
    fa = [r for r in recs if r.metric == "false_alarms"]
    assert len(fa) == 2 and all(r.value == 0 for r in fa)


def test_figure_from_records():
    from diffcompare.records import Record
    from diffcompare.report.fig_gradcheck import fig_gradcheck
    recs = [Record("gradcheck", "bugsuite", m, "detection_rate", v, "fraction", "float64, own suite")
            for m, v in (("diffcompare", 1.0), ("scipy.check_grad", 0.8))]
    recs += [Record("gradcheck", "bugsuite", "diffcompare", "false_alarms", 0, "count",
                    "float64, own suite", extra={"correct": 10})]
    fig = fig_gradcheck(recs)
    assert len(fig.axes) == 2 and len(fig.axes[0].patches) == 2
