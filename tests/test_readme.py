"""The README's claims that can be checked are checked: its trace block is the real output,
its set-up test command is what .ci/run runs, and every command it lists exists."""
import re
from pathlib import Path

import diffcompare as dc
from diffcompare.cli import commands

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_trace_block_is_the_real_output():
    out = str(dc.trace(dc.models.get("neuron"), {"w": 0.5, "b": 0.1}))
    assert f"```\n{out}\n```" in README


def test_test_command_is_what_ci_runs():
    ci = (ROOT / ".ci" / "run").read_text()
    cmd = next(l for l in ci.splitlines() if "pytest" in l).strip()
    assert f"```bash\n{cmd}\n```" in README


def test_every_listed_command_exists():
    listed = set(re.findall(r"`diffcompare ([a-z-]+)", README))
    assert listed and listed <= set(commands()), listed - set(commands())
    assert set(commands()) <= listed, f"README does not list {set(commands()) - listed}"


def _blocks(section, lang):
    text = README.split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"```{lang}\n(.*?)```", text, re.S)


def test_your_own_model_section_runs_as_written(tmp_path):
    """The README's "Your own model" files are written as shown and its commands run as
    shown (exit 0), from the folder that holds them."""
    import shlex
    import subprocess
    import sys
    (py,), (js,), (sh,) = _blocks("Your own model", "python"), _blocks("Your own model", "json"), \
        _blocks("Your own model", "bash")
    (tmp_path / "mymodel.py").write_text(py)
    (tmp_path / "params.json").write_text(js)
    for line in sh.strip().splitlines():
        argv = shlex.split(line)
        assert argv[0] == "diffcompare"
        r = subprocess.run([sys.executable, "-m", "diffcompare", *argv[1:]], cwd=tmp_path, capture_output=True,
                           text=True, timeout=300)
        assert r.returncode == 0, (line, r.stderr)
        if argv[1] == "compare":
            assert "mymodel:loss" in r.stdout and "autodiff" in r.stdout and "50 digits" in r.stdout
    assert (tmp_path / "my-report" / "index.html").exists()
    assert "mymodel:loss" in (tmp_path / "my-report" / "README.md").read_text()
