import os

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np
import pytest

from diffcompare.compare import rel_error  # noqa: E402


@pytest.fixture
def assert_close():
    """Norm-wise relative agreement of two gradient dicts."""
    def check(g, ref, rel=1e-12):
        assert set(g) == set(ref)
        err = rel_error(g, ref)
        assert err <= rel, f"relative error {err:.3e} > {rel:.0e}"
        for k in ref:
            assert np.shape(g[k]) == np.shape(ref[k]), k
    return check
