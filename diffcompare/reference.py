"""The ``autograd`` method: HIPS autograd on the same model, the reference every test
compares against."""
from __future__ import annotations

import numpy as np

from .errors import NonScalarOutputError


def make(f, params):
    import autograd

    from .namespaces import AUTOGRAD

    def fun(p):
        out = f(p, AUTOGRAD)
        if np.ndim(getattr(out, "_value", out)) != 0:
            raise NonScalarOutputError(
                f"the function returned an array of shape {np.shape(getattr(out, '_value', out))}; "
                "gradients need a scalar output")
        return out

    vg = autograd.value_and_grad(fun)

    def call(params):
        v, g = vg(params)
        return v, g, {}
    return call
