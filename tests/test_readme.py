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
