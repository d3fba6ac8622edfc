"""Looking at processes from a test: is one alive (not a zombie), what did it start, are they gone."""
import subprocess
import time


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ")[1][0] != "Z"
    except OSError:
        return False


def children(pid):
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def descendants(pid):
    out, todo = [], [pid]
    while todo:
        kids = children(todo.pop())
        out += kids
        todo += kids
    return out


def still_alive(pids, within=2.0):
    """The pids still alive ``within`` seconds from now (issue 12: no process outlives its
    command by more than 2 s)."""
    deadline = time.monotonic() + within
    while any(alive(q) for q in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [q for q in pids if alive(q)]
