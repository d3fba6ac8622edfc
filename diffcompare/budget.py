"""THE process runner: run a function in a forked child under a CPU budget enforced by the
kernel and a memory cap, and get its result back -- or a typed ``IntractableError`` naming
the budget. Every part of diffcompare that needs a process (SymPy steps, the swell sweep,
``explain``, the report's figure drawers) goes through here.

Why a process and not a thread: SymPy cannot be interrupted inside long C-level big-int work
or a ``compile`` of huge generated code, and a runaway expression can take gigabytes. A child
can be killed, and the kernel can enforce its limits:

* CPU: ``RLIMIT_CPU`` (whole seconds, the kernel's unit) as the backstop, and the parent
  reading the child's CPU from ``/proc`` every 20 ms for a fractional budget. The budget is
  CPU seconds of the child's own process, so a step marked intractable really had its
  budget however many processes share the cores.
* memory: ``RLIMIT_AS`` at the child's address space at fork + ``memory`` bytes; past it
  allocations fail (``MemoryError``), reported as intractable ("memory").
* wall: a deadline for a child the machine starves (default 6 x cpu + 30 s).
* no orphans: a child asks the kernel for SIGKILL when its parent dies
  (``PR_SET_PDEATHSIG``), however the parent ends (Ctrl-C, SIGTERM, SIGKILL); a child of a
  child does the same, so a whole tree goes. A child ignores SIGINT (the parent decides),
  writes no core file, and its stdout/stderr go to /dev/null (nothing scribbles over a
  progress bar). Note: the kernel ties PDEATHSIG to the parent *thread* that forked, so the
  thread that starts a job must outlive it (``result`` waits in that thread).

``fork`` shares the parent's imported modules and built expressions for free, and the
result comes back pickled through a pipe (keep it flat: numbers, small dicts).

    >>> run(sum, [1, 2, 3], cpu=5)               # doctest: +SKIP
    6
"""
from __future__ import annotations

import ctypes
import faulthandler
import gc
import math
import os
import pickle
import resource
import select
import signal
import sys
import threading
import time

from .errors import DiffcompareError, IntractableError

__all__ = ["run", "start", "Job", "wait_any", "DEFAULT_MEMORY", "cpu_seconds", "WorkerError"]

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PR_SET_PDEATHSIG = 1
_DEEP_STACK = 1 << 29           # SymPy recurses deeply on deep expressions: a 512 MiB stack


def _physical_memory():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):     # pragma: no cover
        return 8 << 30


DEFAULT_MEMORY = max(1 << 30, _physical_memory() // 4)
"""Default memory cap of a child, in bytes beyond its address space at fork: a quarter of
this machine's RAM (at least 1 GiB)."""


class WorkerError(DiffcompareError):
    """A child died without a result for a reason other than its budget (a crash)."""


def cpu_seconds(pid):
    """CPU seconds (user + system) of process ``pid`` so far, or None without /proc."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            s = fh.read()
        f = s[s.rindex(b")") + 2:].split()
        return (int(f[11]) + int(f[12])) / _TICK
    except (OSError, ValueError, IndexError):
        return None


def _address_space():
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[0]) * _PAGE
    except (OSError, ValueError, IndexError):        # pragma: no cover
        return 0


def _die_with_parent(parent):
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):                 # pragma: no cover (not Linux)
        pass
    if os.getppid() != parent:                        # the parent died before prctl
        os._exit(1)


def _within(limit, soft, hard):
    """(soft, hard) no higher than the hard limit this process inherited: a nested job's
    child cannot raise it (setrlimit refuses), so it shares its parent's ceiling."""
    cur = resource.getrlimit(limit)[1]
    if cur == resource.RLIM_INFINITY:
        return soft, hard
    return min(soft, cur), min(hard, cur)


def _fork():
    """``os.fork()`` with a Ctrl-C that arrives meanwhile delivered after it. Python runs
    at-fork hooks (logging's lock release, say) around the fork, and a KeyboardInterrupt
    raised inside one is printed and dropped -- the command would go on. So SIGINT is only
    recorded during the fork and raised again once it is done."""
    if threading.current_thread() is not threading.main_thread():
        return os.fork()                              # handlers are the main thread's
    caught, pid = [], -1
    old = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        pid = os.fork()
    finally:
        if pid != 0:                                  # the parent (the child ignores SIGINT)
            signal.signal(signal.SIGINT, old)
            if caught:
                signal.raise_signal(signal.SIGINT)
    return pid


def _child(write_fd, fn, args, kwargs, cpu, memory, deep, parent):
    """In the child: limits, then ``fn``, then the pickled outcome on ``write_fd``."""
    code = 0
    try:
        _die_with_parent(parent)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        faulthandler.disable()                        # it writes to a copy of the parent's stderr
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if cpu is not None:
            # whole seconds above the budget: the parent's poll stops the child at its budget,
            # the kernel only if the parent cannot poll (so cpu_used never reads below it)
            soft = math.floor(cpu) + 1
            resource.setrlimit(resource.RLIMIT_CPU, _within(resource.RLIMIT_CPU, soft, soft + 1))
        if memory is not None:
            cap = _address_space() + int(memory) + (_DEEP_STACK if deep else 0)
            resource.setrlimit(resource.RLIMIT_AS, _within(resource.RLIMIT_AS, cap, cap))
        if deep:
            sys.setrecursionlimit(1_000_000)
            box = []
            threading.stack_size(_DEEP_STACK)
            t = threading.Thread(target=lambda: box.append(_outcome(fn, args, kwargs)))
            t.start()
            t.join()
            outcome = box[0] if box else ("error", WorkerError("the worker thread ended without a result"))
        else:
            sys.setrecursionlimit(max(sys.getrecursionlimit(), 100_000))
            outcome = _outcome(fn, args, kwargs)
        try:
            data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as e:                        # an unpicklable result or exception
            kind, value = outcome
            what = (f"{type(value).__name__}: {value}" if kind == "error"   # the child's own error, as text
                    else f"the result could not be sent back: {type(e).__name__}: {e}")
            data = pickle.dumps(("error", WorkerError(what)))
        view = memoryview(data)
        while view:
            n = os.write(write_fd, view)
            view = view[n:]
    except MemoryError:
        code = 3
    except BaseException:                             # noqa: BLE001 -- a child never returns
        code = 4
    finally:
        os._exit(code)


def _outcome(fn, args, kwargs):
    try:
        return ("ok", fn(*args, **kwargs))
    except MemoryError:
        return ("memory", None)
    except RecursionError as e:
        return ("error", e)
    except BaseException as e:                        # noqa: BLE001 -- re-raised in the parent
        return ("error", e)


class Job:
    """A running child. ``result()`` waits for it; ``done()`` polls without blocking;
    ``kill()`` ends it. ``cpu_used`` is its CPU seconds (exact once it has ended)."""

    def __init__(self, fn, args, kwargs, cpu, memory, wall, what, deep):
        self.what, self.cpu, self.memory = what, cpu, memory
        self.wall = (6 * cpu + 30 if cpu is not None else None) if wall is None else wall
        self.cpu_used = 0.0
        self.started = time.monotonic()
        self._chunks, self._outcome, self._status = [], None, None
        for stream in (sys.stdout, sys.stderr):       # no buffered text is written twice
            try:
                stream.flush()
            except (OSError, ValueError, AttributeError):
                pass
        read_fd, write_fd = os.pipe()
        parent = os.getpid()
        gc.freeze()                                   # the child leaves our objects alone: fewer copied pages
        try:
            pid = _fork()
        finally:
            gc.unfreeze()
        if pid == 0:                                  # pragma: no cover (runs in the child)
            os.close(read_fd)
            _child(write_fd, fn, args, kwargs, cpu, memory, deep, parent)
        os.close(write_fd)
        self.pid, self._fd = pid, read_fd

    # -- the parent's side -------------------------------------------------------------------
    def _pump(self, timeout):
        """Read what the child wrote (up to ``timeout`` s); True once it has ended."""
        while self._status is None:
            ready, _, _ = select.select([self._fd], [], [], max(timeout, 0.0))
            if not ready:
                return False
            data = os.read(self._fd, 1 << 20)
            if not data:
                self._reap()
            else:
                self._chunks.append(data)
                timeout = 0.0
        return True

    def _reap(self):
        try:
            _, status, usage = os.wait4(self.pid, 0)
            self.cpu_used = usage.ru_utime + usage.ru_stime
        except ChildProcessError:     # reaped already: a Ctrl-C landed between wait4 and here
            status = signal.SIGKILL   # (a wait status: killed), so kill() after it is a no-op
        self._status = status
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)
        if self._chunks:
            try:
                self._outcome = pickle.loads(b"".join(self._chunks))
            except Exception as e:                    # noqa: BLE001
                self._outcome = ("error", WorkerError(f"{self.what}: a garbled result ({e})"))
            self._chunks = []

    def _over(self):
        """The reason to stop the child now, or None."""
        used = cpu_seconds(self.pid)
        if used is not None:
            self.cpu_used = used
        if self.cpu is not None and used is not None and used > self.cpu:
            return "cpu"
        if self.wall is not None and time.monotonic() - self.started > self.wall:
            return "wall"
        return None

    def done(self):
        """Poll: True when the child has ended (or was just stopped at its budget)."""
        if self._status is not None:
            return True
        self._pump(0)
        if self._status is None and (why := self._over()):
            self._stop(why)
        return self._status is not None

    def _stop(self, why):
        self.kill()
        self._outcome = ("over", why)

    def kill(self):
        """End the child now (SIGKILL) and reap it; its descendants die with it."""
        if self._status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._reap()

    def result(self, timeout=None):
        """The child's return value; its exception re-raised; ``IntractableError`` past its
        CPU, memory or wall budget; ``WorkerError`` if it crashed. ``timeout`` (s) only
        bounds this wait -- a job still running raises ``TimeoutError`` and keeps running."""
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while self._status is None:
                if deadline is not None and time.monotonic() >= deadline:
                    raise TimeoutError(f"{self.what} still running")
                if self._pump(0.02):
                    break
                if why := self._over():
                    self._stop(why)
        except BaseException:
            if not isinstance(sys.exc_info()[1], TimeoutError):
                self.kill()                           # Ctrl-C in the parent: the child goes too
            raise
        return self._unpack()

    def _unpack(self):
        kind, value = self._outcome if self._outcome is not None else (None, None)
        if kind == "ok":
            return value
        if kind == "error":
            raise value
        status = self._status
        sig = os.WTERMSIG(status) if status is not None and os.WIFSIGNALED(status) else None
        if kind == "over" and value == "cpu" or sig == signal.SIGXCPU or (
                sig == signal.SIGKILL and self.cpu is not None and self.cpu_used >= self.cpu):
            raise IntractableError(
                f"{self.what}: intractable (CPU budget {self.cpu:g} s, used {self.cpu_used:.2f} s)",
                budget=self.cpu, step=self.what, cpu_used=self.cpu_used, kind="cpu")
        if kind == "over" and value == "wall":
            raise IntractableError(
                f"{self.what}: intractable (not finished within {self.wall:g} s of wall time; "
                f"CPU used {self.cpu_used:.2f} s)", budget=self.cpu, step=self.what,
                cpu_used=self.cpu_used, kind="wall")
        if kind == "memory" or (status is not None and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 3):
            raise IntractableError(
                f"{self.what}: intractable (memory cap {self.memory / 2**30:.3g} GiB reached)",
                budget=self.cpu, step=self.what, cpu_used=self.cpu_used, kind="memory")
        how = f"signal {signal.Signals(sig).name}" if sig else f"exit code {os.WEXITSTATUS(status)}"
        raise WorkerError(f"{self.what}: the worker died ({how}) without a result")


def start(fn, *args, cpu=20.0, memory=DEFAULT_MEMORY, wall=None, what="worker", deep=False, **kwargs):
    """Fork a child running ``fn(*args, **kwargs)`` and return its ``Job`` at once.
    ``cpu``: CPU seconds (None: no CPU budget); ``memory``: bytes beyond the address space at
    fork (None: no cap); ``wall``: seconds (default 6 x cpu + 30); ``deep``: run ``fn`` on a
    512 MiB stack with a high recursion limit (deep SymPy expressions)."""
    if cpu is not None and not (isinstance(cpu, (int, float)) and cpu > 0 and math.isfinite(cpu)):
        raise IntractableError(f"{what}: intractable (budget {cpu} s)", budget=cpu, step=what)
    return Job(fn, args, kwargs, cpu, memory, wall, what, deep)


def run(fn, *args, cpu=20.0, memory=DEFAULT_MEMORY, wall=None, what="worker", deep=False, **kwargs):
    """``fn(*args, **kwargs)`` in a child under the budgets (see ``start``) -> its result."""
    return start(fn, *args, cpu=cpu, memory=memory, wall=wall, what=what, deep=deep, **kwargs).result()


def wait_any(jobs, timeout=None):
    """Wait until at least one of ``jobs`` has ended (or ``timeout`` s pass); return the
    ended ones. Budgets are enforced while waiting."""
    jobs = list(jobs)
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        ended = [j for j in jobs if j.done()]
        if ended or not jobs:
            return ended
        if deadline is not None and time.monotonic() >= deadline:
            return []
        fds = [j._fd for j in jobs if j._status is None]
        if fds:
            select.select(fds, [], [], 0.02)
