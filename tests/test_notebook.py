"""The teaching notebook (notebooks/summary_slide.ipynb) runs top to bottom in a fresh kernel
and shows what its prose says it shows.

The notebook is committed without outputs; it is executed here in memory, never written
back. Its kernel is this interpreter (not whichever "python3" kernel a user has installed),
its working directory and TMPDIR a pytest temporary folder, so the run tests the code under
test and leaves nothing in the repository. Cells are found by their ids, which the notebook
keeps stable for this purpose.
"""
from __future__ import annotations

import base64
import os
import re
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "summary_slide.ipynb"
CELL_TIMEOUT = 180          # seconds per cell: a guard against a hang, far above a normal run


class _ThisInterpreter(KernelSpecManager):
    """Every kernel name resolves to an IPython kernel on sys.executable."""

    def get_kernel_spec(self, kernel_name):
        return KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                          display_name="diffcompare tests", language="python")


def _files(root):
    """Every file of the repository a run could write (the venv, git and bytecode aside)."""
    skip = {".venv", ".git", "__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis"}
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in skip and not d.endswith(".egg-info")]
        for name in filenames:
            p = Path(dirpath, name)
            out[p] = p.stat().st_mtime_ns
    return out


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("notebook")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    before = _files(ROOT)
    km = AsyncKernelManager(kernel_spec_manager=_ThisInterpreter(), kernel_name="python3")
    client = NotebookClient(nb, km=km, timeout=CELL_TIMEOUT, resources={"metadata": {"path": str(tmp)}})
    env = dict(os.environ, TMPDIR=str(tmp))
    env.pop("MPLBACKEND", None)          # conftest's Agg would hide the figures; the notebook asks for inline
    try:
        client.execute(cleanup_kc=True, env=env)      # raises CellExecutionError on any failing cell
    finally:
        if km.has_kernel:
            km.shutdown_kernel(now=True)
    return nb, tmp, before


def _cell(nb, cell_id):
    cells = [c for c in nb.cells if c.get("id") == cell_id]
    assert len(cells) == 1, f"no cell {cell_id!r} in the notebook"
    return cells[0]


def text(nb, cell_id):
    """Everything a code cell printed (streams and plain-text results)."""
    out = []
    for o in _cell(nb, cell_id).outputs:
        if o.output_type == "stream":
            out.append(o.text)
        elif o.output_type in ("execute_result", "display_data") and "text/plain" in o.data:
            out.append(o.data["text/plain"] + "\n")
    return "".join(out)


def pngs(nb, cell_id):
    return [base64.b64decode(o.data["image/png"]) for o in _cell(nb, cell_id).outputs
            if o.output_type in ("execute_result", "display_data") and "image/png" in o.data]


def number(pattern, s):
    m = re.search(pattern, s, re.M)
    assert m, f"{pattern!r} not in:\n{s}"
    return float(m.group(1))


# --- the committed file ---------------------------------------------------------------------

def test_committed_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code), \
        "strip the outputs before committing (diffs stay readable; the test executes it)"
    ids = [c.get("id") for c in nb.cells]
    assert len(set(ids)) == len(ids)


# --- the run ----------------------------------------------------------------------------------

def test_runs_without_error_and_writes_nothing_into_the_repository(executed):
    nb, tmp, before = executed
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    after = _files(ROOT)
    assert set(after) == set(before), f"new files: {sorted(map(str, set(after) - set(before)))[:5]}"
    assert {p for p in before if after[p] != before[p]} == set()
    folder = Path(re.search(r"pictures go to (\S+)", text(nb, "setup")).group(1))
    assert folder.is_relative_to(tmp) and (folder / "neuron_graph.png").is_file()


def test_numerical_vcurve(executed):
    nb = executed[0]
    out = text(nb, "vcurve")
    assert len(pngs(nb, "vcurve")) == 1
    f64, f32 = out.split("float32")
    # the orders of convergence, measured in the truncation range
    assert abs(number(r"forward\s+slope (\S+) \(order 1\)", f64) - 1) < 0.15
    assert abs(number(r"central\s+slope (\S+) \(order 2\)", f64) - 2) < 0.15
    for part, lo, hi in ((f64, 1e-13, 1e-6), (f32, 1e-7, 1e-2)):
        fwd, cen = (number(rf"{s}\s+slope .*?best error (\S+) at", part) for s in ("forward", "central"))
        assert lo < cen < fwd < hi           # the bottom of the V: far from exact, central below forward
    assert number(r"complex-step\s+d/dw = \S+\s+error (\S+)", text(nb, "complex-step")) < 1e-15


def test_symbolic(executed):
    nb = executed[0]
    out11 = text(nb, "symbolic-out11")
    assert "SymPy   x*Exp[b + w*x]/(Exp[b + w*x] + 1)" in out11
    assert "equal to the slide's Out[11]: False" in out11       # the slide prints w for x
    assert "equal to the slide's Out[19]: True" in text(nb, "symbolic-out19")
    assert number(r"d/dw: \S+\s+error (\S+)", text(nb, "symbolic-useful")) <= 4.5e-16     # 2 ulp at 1.5
    findings = text(nb, "swell-findings")
    w1, w2 = findings.split("width=2")
    assert "tan_tree1 = 8*d**2 + 9*d + 1" in w1                 # the lecture's chain: polynomial, exactly
    assert number(r"tan_tree1 grows x(\S+) per level", w2) > 2  # with reuse: exponential
    assert len(pngs(nb, "swell-findings")) == 1


def test_trace_graph_and_source(executed):
    nb = executed[0]
    ops = re.findall(r"^(\w+)\s*= .+ = \S+$", text(nb, "trace"), re.M)
    assert ops == ["t1", "z", "t3", "t4", "t5", "y", "t6", "t7", "L"]      # the slide's nine steps
    png = pngs(nb, "graph")
    assert len(png) == 1 and png[0].startswith(b"\x89PNG") and len(png[0]) > 10_000
    src = text(nb, "source")
    assert "def program(params):" in src and "g_w = g_z * x" in src


def test_automatic_exact_and_fast(executed):
    nb = executed[0]
    exact = text(nb, "exact")
    ad = [float(v) for v in re.findall(r"autodiff: worst error\s+(\S+) ulp", exact)]
    cd = [float(v) for v in re.findall(r"central: worst error\s+(\S+) ulp", exact)]
    assert len(ad) == len(cd) == 3 and max(ad) <= 4 and min(cd) > 100
    fast = text(nb, "fast")
    n = int(number(r"^(\d+) parameters", fast))
    assert number(r"central .*it evaluates f (\d+) times", fast) == 2 * n + 1


def test_error_prone(executed):
    nb = executed[0]
    bug = text(nb, "seeded-bug")
    assert "correct gradient: pass" in bug and re.search(r"seeded bug:\s+fail", bug)
    assert number(r"analytic / numeric = (\S+),", bug) == pytest.approx(0.5)
    relu = text(nb, "relu")
    assert number(r"autodiff\s+f'\(0\) = (\S+)", relu) == 0
    assert number(r"central\s+f'\(0\) = (\S+)", relu) == 1
    assert "gradcheck of autodiff at 0: fail" in relu
    ties = text(nb, "relu-ties")
    assert re.search(r"maximum\(x, 0\) - maximum\(-x, 0\)\s+\(= x\): autodiff 1, .* gradcheck: pass", ties)
    assert re.search(r"minimum\(maximum\(x, 0\), x\)\s+\(= x\): autodiff 0.75, .* gradcheck: fail", ties)


def test_recap_and_the_habit(executed):
    nb = executed[0]
    recap = text(nb, "recap")
    for word in ("easy", "bad", "useful", "exact", "error-prone"):     # "fast" is a timing: shown, not asserted
        assert re.search(rf"^  ✓ {word}:", recap, re.M), word
    assert re.search(r"^  [✓✗] fast: a gradient of \d+ parameters costs", recap, re.M)
    assert "status: pass" in text(nb, "practice")
