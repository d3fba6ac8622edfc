"""train/history.py: a loss history in bounded memory."""
import math

import pytest

from diffcompare.train.history import History


def test_short_runs_keep_every_row():
    h = History(cap=8)
    for e in range(8):
        h.add(e, 1.0 / (e + 1), e)
    assert h.complete and h.column(0) == list(range(8)) and h.column(2) == list(range(8))


def test_long_runs_keep_an_even_stride_plus_first_last_and_lowest():
    h = History(cap=64)
    n = 1_000_003
    for e in range(n):
        h.add(e, 5.0 if e != 777_777 else -1.0)     # the lowest loss sits off the stride
    idx = h.column(0)
    # the stride doubled until the strided rows fit: at stride/2 they would not
    assert not h.complete and (n - 1) // h.stride + 1 <= 64 < (n - 1) // (h.stride // 2) + 1
    assert 32 <= len(idx) <= 64 + 3
    assert idx[0] == 0 and idx[-1] == n - 1 and 777_777 in idx
    strided = [i for i in idx if i not in (n - 1, 777_777)]
    assert all(i % h.stride == 0 for i in strided) and strided == list(range(0, n, h.stride))
    assert h.best == (777_777, -1.0) and h.last == (n - 1, 5.0)


def test_nan_is_never_the_best_and_is_still_kept_as_the_last():
    h = History(cap=4)
    h.add(0, 2.0)
    h.add(1, float("nan"))
    assert h.best == (0, 2.0) and math.isnan(h.last[1]) and h.column(0) == [0, 1]


def test_a_history_needs_room_for_two_rows():
    with pytest.raises(ValueError):
        History(cap=1)
