"""A loss history in bounded memory, however long the run.

``History`` keeps rows ``(index, loss, *more)`` -- an epoch or a step, its loss, and what
else the loop tracks there (steps taken, Hessian-vector products, seconds). It keeps every
k-th index, k doubling each time the rows pass ``cap``, so a run of any length holds
between cap/2 and cap rows spread evenly over it, plus always the first, the last and the
lowest loss: a 10⁹-epoch run draws the same curve as a 100-epoch one in the same few KB.
While a run fits in ``cap`` rows nothing is dropped (``complete``).

    >>> h = History(cap=4)
    >>> for e in range(11):
    ...     h.add(e, 10.0 - e if e != 5 else -1.0)
    >>> h.column(0), h.column(1), h.complete
    ([0, 4, 5, 8, 10], [10.0, 6.0, -1.0, 2.0, 0.0], False)
"""
from __future__ import annotations

__all__ = ["History", "CAP"]

CAP = 4096        # rows per history: 4096 * 5 columns of floats stay far below 1 MB


class History:
    __slots__ = ("cap", "stride", "_rows", "_first", "_best", "_last")

    def __init__(self, cap=CAP):
        if cap < 2:
            raise ValueError("a history keeps at least 2 rows")
        self.cap, self.stride = int(cap), 1
        self._rows, self._first, self._best, self._last = [], None, None, None

    def add(self, index, loss, *more):
        row = (index, loss, *more)
        self._last = row
        if self._first is None:
            self._first = row
        if self._best is None or loss < self._best[1]:     # NaN never becomes the best
            self._best = row
        if index % self.stride == 0:
            self._rows.append(row)
            if len(self._rows) > self.cap:
                self.stride *= 2
                self._rows = [r for r in self._rows if r[0] % self.stride == 0]

    @property
    def complete(self):
        """Every index added is kept."""
        return self.stride == 1

    @property
    def last(self):
        return self._last

    @property
    def best(self):
        return self._best

    def rows(self):
        """The kept rows in index order, the first, the best and the last always among them."""
        keep = {r[0]: r for r in self._rows}
        for r in (self._first, self._best, self._last):
            if r is not None:
                keep.setdefault(r[0], r)
        return [keep[i] for i in sorted(keep)]

    def column(self, j):
        return [r[j] for r in self.rows()]

    def __len__(self):
        return len(self.rows())
