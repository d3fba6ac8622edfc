"""The one process runner: results, exceptions, budgets (CPU, memory, wall) and no orphans."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from procs import children, still_alive

from diffcompare import budget
from diffcompare.errors import IntractableError


def _spin():
    while True:
        pass


def _eat():
    hold = []
    while True:
        hold.append(bytearray(1 << 26))


def _raise():
    raise ValueError("from the child")


def _nested():
    return budget.run(sum, [4, 5], cpu=2)


def _recurse(n):
    return 0 if n == 0 else 1 + _recurse(n - 1)


def test_result_comes_back():
    assert budget.run(sum, [1, 2, 3], cpu=2) == 6
    assert len(budget.run(list, range(200_000), cpu=5)) == 200_000   # bigger than a pipe buffer


def test_exception_is_reraised_with_its_type():
    with pytest.raises(ValueError, match="from the child"):
        budget.run(_raise, cpu=2)


def test_cpu_budget_names_the_budget_and_the_cpu_used():
    with pytest.raises(IntractableError) as e:
        budget.run(_spin, cpu=0.3, what="spin")
    assert e.value.kind == "cpu" and e.value.budget == 0.3
    assert e.value.cpu_used >= 0.3                 # it really had its budget
    assert "CPU budget 0.3 s" in str(e.value) and str(e.value).startswith("spin")


def test_memory_cap():
    with pytest.raises(IntractableError) as e:
        budget.run(_eat, cpu=20, memory=256 << 20)
    assert e.value.kind == "memory"


def test_wall_deadline():
    with pytest.raises(IntractableError) as e:
        budget.run(time.sleep, 5, cpu=1, wall=0.3)
    assert e.value.kind == "wall"


def _segfault():
    os.kill(os.getpid(), signal.SIGSEGV)


def test_crash_is_a_worker_error():
    with pytest.raises(budget.WorkerError, match="SIGSEGV"):
        budget.run(_segfault, cpu=2)


def test_nested_and_deep():
    assert budget.run(_nested, cpu=5) == 9
    assert budget.run(_recurse, 100_000, cpu=10, deep=True) == 100_000


def test_bad_budget_is_refused():
    for bad in (0, -1, float("nan"), float("inf")):
        with pytest.raises(IntractableError):
            budget.run(sum, [1], cpu=bad)


def test_kill_after_a_reap_that_was_cut_short():
    """A Ctrl-C can land after ``wait4`` reaped the child but before the job noted it: the
    cleanup's ``kill()`` must then end quietly (not raise ChildProcessError, which turned a
    Ctrl-C of ``swell`` into exit code 1), and the job reads as killed."""
    job = budget.start(_spin, cpu=5, what="spin")
    os.kill(job.pid, signal.SIGKILL)
    os.wait4(job.pid, 0)                      # reaped behind the job's back
    job.kill()
    job.kill()                                # and again: still quiet, the pipe closed once
    with pytest.raises(budget.WorkerError, match="SIGKILL"):
        job.result()


def test_wait_any_returns_the_first_finished():
    jobs = [budget.start(time.sleep, 3, cpu=1, wall=10, what="slow"),
            budget.start(sum, [1], cpu=1, what="fast")]
    try:
        ended = budget.wait_any(jobs, timeout=5)
        assert [j.what for j in ended] == ["fast"]
    finally:
        for j in jobs:
            j.kill()


_ORPHAN = textwrap.dedent("""
    import sys
    from diffcompare import budget
    def spin():
        while True:
            pass
    def inner():
        return budget.run(spin, cpu=100, what="grandchild")
    job = budget.start(inner, cpu=100)
    print(job.pid, flush=True)
    job.result()
""")




@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM])
def test_no_process_outlives_its_parent(sig):
    p = subprocess.Popen([sys.executable, "-c", _ORPHAN], stdout=subprocess.PIPE, text=True,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    child = int(p.stdout.readline())
    deadline = time.monotonic() + 10
    while not children(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    family = [child] + children(child)
    assert len(family) == 2
    p.send_signal(sig)
    p.wait(timeout=10)
    assert not still_alive(family)
