"""THE timing helper: seconds per call as median, min and max over repeated rounds.

Why rounds of many loops: one call of a fast gradient is below the clock's resolution, so
each round runs ``loops`` calls (calibrated until a round takes ``min_time``) and reports
the mean of that round; the rounds' median is the figure, their min and max its spread
(this machine is shared and noisy -- a single number would hide that). Garbage is collected
before timing and the collector is paused during it, so another library's cyclic garbage
is not billed to the function being timed (pytest-benchmark's practice).

    >>> t = measure(sum, [1.0, 2.0])                  # doctest: +SKIP
    >>> t.median, t.min, t.max, t.repeats             # doctest: +SKIP
"""
from __future__ import annotations

import gc
import statistics
import time
from dataclasses import dataclass

__all__ = ["Timing", "measure", "steady_allocator"]

# glibc's mallopt parameters: how much free memory at the top of the heap it keeps before
# giving it back to the system, and from what size a block gets its own mapping.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_KEEP, _MAP_FROM = 256 << 20, 32 << 20          # the latter is glibc's largest on 64 bits


def steady_allocator():
    """Stop glibc from giving freed memory back to the system after every call. By default it
    trims the heap's top past 128 KiB, and maps blocks of 128 KiB and more on their own
    (raising that as they are freed); whether a process hits the trim depends on its history:
    a gradient or HVP that frees and re-allocates ~100 KiB of arrays per call then re-faults
    its pages every call (measured: 870,000 page faults, every contender 1.45x slower, in a
    benchmark that had first run other batch sizes). Setting the trim threshold fixes the
    other one too, so both are set: the heap is kept, and blocks up to 32 MiB come from it.
    The benchmarks and the CLI call this once, so every contender in one run is timed under
    the same allocator. True if set (a no-op off glibc)."""
    try:
        import ctypes
        libc = ctypes.CDLL(None)
        return bool(libc.mallopt(_M_TRIM_THRESHOLD, _KEEP)) and bool(libc.mallopt(_M_MMAP_THRESHOLD, _MAP_FROM))
    except (OSError, AttributeError):
        return False


@dataclass(frozen=True)
class Timing:
    median: float         # seconds per call: the median round
    min: float
    max: float
    repeats: int          # rounds
    loops: int            # calls per round

    def __str__(self):
        return f"{self.median:.3g} s [{self.min:.3g}-{self.max:.3g}] over {self.repeats} rounds"

    def ratio(self, other):
        """This timing over another's, median over median."""
        return self.median / other.median


def measure(fn, *args, repeats=7, min_time=0.02, max_loops=100_000, clock=time.perf_counter,
            warmup=True, collect=True):
    """Time ``fn(*args)``: ``repeats`` rounds of ``loops`` calls each (``loops`` grown x4
    until one round takes ``min_time`` s of ``clock``, at most ``max_loops``). ``clock``:
    ``time.perf_counter`` (wall) or ``time.process_time`` (this process's CPU)."""
    if warmup:
        fn(*args)
    if collect:
        gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        loops = 1
        while True:
            t0 = clock()
            for _ in range(loops):
                fn(*args)
            t = clock() - t0
            if t >= min_time or loops >= max_loops:
                break
            loops = min(loops * 4, max_loops)
        rounds = [t / loops]
        for _ in range(repeats - 1):
            t0 = clock()
            for _ in range(loops):
                fn(*args)
            rounds.append((clock() - t0) / loops)
    finally:
        if enabled:
            gc.enable()
    return Timing(statistics.median(rounds), min(rounds), max(rounds), len(rounds), loops)
