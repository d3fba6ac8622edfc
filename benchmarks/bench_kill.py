"""Kill `diffcompare report --quick` and `diffcompare swell` at random moments and count what
they leave behind (issue 12: no process may outlive its command by more than 2 s, and the
previous report always survives).

    python benchmarks/bench_kill.py [--trials 20] [--seed 0] [--only report|swell]

For each command and signal (SIGINT to the process group, as Ctrl-C in a terminal sends it;
SIGKILL to the command alone, which no handler can see), ``--trials`` runs are killed at a
seeded uniform moment within the first ``WINDOW`` of the command's own duration (measured
first; a shared machine's next runs may be faster, and a run that ends first is counted in
"finished first", not as a kill). After each:

* orphans: processes still alive 2 s after the command ended that carry the trial's marker
  in their environment (every descendant inherits it);
* leftovers: anything in the work folder besides the output (``.reports.new-*`` / ``.old-*``
  staging folders, temporary files);
* survived: the report folder is a complete report of ours -- the previous one untouched, or
  the new one when the kill came after the swap. For swell: its PNG is intact.

The commands run as separate processes, as a user starts them: this script observes them
from outside (it is a benchmark, not part of the package, which forks only via budget.py).
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from diffcompare.report import io

MARK = "DIFFCOMPARE_BENCH_TRIAL"
GRACE = 2.0                   # seconds a descendant may outlive its command
WINDOW = 0.8                  # kill within this share of one uninterrupted run
COMMANDS = {
    "report": ["report", "--quick", "--out", "{out}"],
    "swell": ["swell", "--model", "softplus_chain", "--set", "width=2", "--max-depth", "6", "--budget", "1",
              "--no-examples", "--out", "{out}"],
}


def _start(cmd, out, marker):
    env = dict(os.environ, **{MARK: marker, "MPLBACKEND": "Agg"})
    argv = [sys.executable, "-m", "diffcompare"] + [a.format(out=out) for a in cmd]
    return subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def _marked(marker):
    """PIDs of live (not zombie) processes whose environment carries ``marker``."""
    needle = f"{MARK}={marker}".encode()
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/environ", "rb") as fh:
                if needle not in fh.read().split(b"\0"):
                    continue
            with open(f"/proc/{pid}/stat", "rb") as fh:
                state = fh.read().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        if state != b"Z":
            found.append(int(pid))
    return found


def _report_ok(folder):
    """A complete report of ours: signed, and exactly its manifest's files present."""
    ours = io._manifest(folder) if folder.is_dir() else None
    return ours is not None and io._present(folder) == ours


def _baseline(name, work):
    out = work / "out"
    t0 = time.monotonic()
    p = _start(COMMANDS[name], out, uuid.uuid4().hex)
    code = p.wait()
    if code != 0:
        raise SystemExit(f"{name} failed on its own (exit {code}); nothing to measure")
    return time.monotonic() - t0, out


def _trial(name, sig, delay, pristine, work):
    out = work / "out"
    shutil.copytree(pristine, out)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    marker = uuid.uuid4().hex
    p = _start(COMMANDS[name], out, marker)
    time.sleep(delay)
    finished = p.poll() is not None
    if not finished:
        if sig == signal.SIGINT:
            os.killpg(p.pid, signal.SIGINT)
        else:
            os.kill(p.pid, signal.SIGKILL)
    try:
        p.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
    time.sleep(GRACE)
    orphans = _marked(marker)
    for pid in orphans:                       # clean up so one trial cannot spoil the next
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    leftovers = sorted(e for e in os.listdir(work) if e != "out")
    if name == "report":
        survived = _report_ok(out)
    else:
        now = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
        survived = now.keys() == before.keys() and all(v[:8] == b"\x89PNG\r\n\x1a\n" for v in now.values())
        leftovers += sorted(str(k) for k in now if str(k).startswith("."))
    shutil.rmtree(out, ignore_errors=True)
    for e in leftovers:
        shutil.rmtree(work / e, ignore_errors=True)
    return {"orphans": len(orphans), "leftovers": leftovers, "survived": survived, "finished": finished,
            "code": p.returncode}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", choices=sorted(COMMANDS), default=None)
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_kill.") as tmp:
        for name in [args.only] if args.only else list(COMMANDS):
            base = Path(tmp) / f"{name}-baseline"
            base.mkdir()
            seconds, pristine = _baseline(name, base)
            print(f"{name}: one uninterrupted run takes {seconds:.1f} s; killing at uniform moments in "
                  f"[0.2, {WINDOW * seconds:.1f}] s", flush=True)
            for sig in (signal.SIGINT, signal.SIGKILL):
                res = []
                for k in range(args.trials):
                    work = Path(tmp) / f"{name}-{sig.name}-{k}"
                    work.mkdir()
                    res.append(_trial(name, sig, rng.uniform(0.2, WINDOW * seconds), pristine, work))
                    shutil.rmtree(work, ignore_errors=True)
                rows.append((name, sig.name, res))
                print(_line(name, sig.name, res), flush=True)
    print()
    print(f"{'command':8} {'signal':8} {'trials':>6} {'orphans':>8} {'leftovers':>10} {'survived':>9} "
          f"{'finished first':>15}")
    for name, sig, res in rows:
        print(_line(name, sig, res))
    bad = sum(r["orphans"] + len(r["leftovers"]) + (not r["survived"]) for _, _, res in rows for r in res)
    return 1 if bad else 0


def _line(name, sig, res):
    return (f"{name:8} {sig:8} {len(res):6d} {sum(r['orphans'] for r in res):8d} "
            f"{sum(len(r['leftovers']) for r in res):10d} {sum(r['survived'] for r in res):6d}/{len(res):<2d} "
            f"{sum(r['finished'] for r in res):15d}")


if __name__ == "__main__":
    sys.exit(main())
