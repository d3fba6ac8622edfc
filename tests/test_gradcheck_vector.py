"""vjp/jvp and second-order (hvp/hess) checks: the seeded suites, the tables naming input and
output entries, bad combinations refused."""
import numpy as np
import pytest

from diffcompare.gradcheck import GradcheckInputError, gradcheck, score


@pytest.mark.parametrize("family", ["vjp/jvp", "second-order"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_suites_all_caught_no_false_alarm(family, dtype):
    s = score.score(score.cases(dtype, family=family), score.check_ours)
    assert s["false_alarms"] == 0 and s["errors"] == 0, s["alarms"]
    assert s["bugs"] >= 8 and s["caught"] == s["bugs"], s["missed"]


def test_jvp_table_names_output_entries():
    W = np.arange(9.0).reshape(3, 3) / 7 + np.eye(3)
    r = gradcheck(lambda x: W @ x, np.array([0.3, -1.0, 2.0]), jvp=lambda x, xd: W.T @ xd)
    assert r.status == "fail"
    outs = {e.output for e in r.failures if e.output}
    assert outs and outs <= {"y[0]", "y[1]", "y[2]"}
    ok = gradcheck(lambda x: W @ x, np.array([0.3, -1.0, 2.0]), jvp=lambda x, xd: W @ xd)
    assert ok.status == "pass" and ok.target == "jvp"


def test_vjp_names_input_entry_and_dict_params():
    A = np.array([[1.0, 2.0], [0.5, -1.0], [2.0, 0.1]])
    f = lambda p: np.tanh(A @ p["w"] + p["b"])

    def vjp(p, yb, bug=False):
        d = yb * (1 - f(p) ** 2)
        return {"w": A.T @ d, "b": d if not bug else 2 * d}
    p = {"w": np.array([0.2, -0.3]), "b": np.array([0.1, 0.0, -0.2])}
    assert gradcheck(f, p, vjp=vjp).status == "pass"
    r = gradcheck(f, p, vjp=lambda p, yb: vjp(p, yb, True))
    assert r.status == "fail" and {e.name for e in r.failures if e.index is not None} == {"b"}


def test_second_order_hess_and_hvp():
    A = np.array([[2.0, 0.5], [0.5, 1.0]])
    f = lambda x: 0.5 * x @ A @ x + np.sum(np.sin(x))
    g = lambda x: A @ x + np.cos(x)
    H = lambda x: A - np.diag(np.sin(x))
    x = np.array([0.3, -0.7])
    assert gradcheck(f, x, grad=g, hess=H).status == "pass"
    assert gradcheck(f, x, grad=g, hvp=lambda x, v: H(x) @ v).status == "pass"
    r = gradcheck(f, x, grad=g, hess=lambda x: np.triu(H(x)))
    assert r.status == "fail" and r.target == "hess"
    # a wrong gradient is reported as such: its differences cannot check the Hessian
    r = gradcheck(f, x, grad=lambda x: 2 * g(x), hess=H)
    assert r.status == "fail" and "gradient itself fails" in r.reason


def test_bad_combinations_refused():
    f, x = (lambda x: np.sum(x ** 2)), np.ones(3)
    with pytest.raises(GradcheckInputError):
        gradcheck(f, x, hvp=lambda x, v: 2 * v)              # hvp needs grad
    with pytest.raises(GradcheckInputError):
        gradcheck(f, x, grad=lambda x: 2 * x, vjp=lambda x, yb: 2 * x * yb)
    with pytest.raises(GradcheckInputError, match="array output"):
        gradcheck(f, x, vjp=lambda x, yb: 2 * x * yb)        # scalar f with vjp
    with pytest.raises(GradcheckInputError, match=r"shape"):
        gradcheck(f, x, grad=lambda x: 2 * x, hess=lambda x: np.eye(2))
