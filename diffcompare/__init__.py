"""diffcompare: one model, differentiated three ways (symbolic, numerical, automatic),
compared on accuracy, speed and stability.

``import diffcompare`` does not import SymPy or autograd: ``dc.SYMPY`` and ``dc.AUTOGRAD``
(and the symbolic method) import them on first use."""
from . import models
from .api import EXACT_METHODS, FD_METHODS, METHODS, GradFn, evaluate, grad, value_and_grad
from .compare import compare
from .errors import DiffcompareError
from .forward import FORWARD, jvp
from .gradcheck import gradcheck
from .hessian import HESSIAN_METHODS, hessian, hvp
from .tracer import TRACER, trace
from .vocabulary import NUMPY

__version__ = "0.1.0"
__all__ = ["gradcheck", "METHODS", "EXACT_METHODS", "FD_METHODS", "grad", "value_and_grad", "trace",
           "hessian", "hvp", "HESSIAN_METHODS", "compare",
           "evaluate", "jvp", "GradFn", "DiffcompareError", "models", "NUMPY", "SYMPY", "TRACER",
           "FORWARD", "AUTOGRAD"]


def __getattr__(name):
    if name in ("SYMPY", "AUTOGRAD"):
        from . import namespaces
        return getattr(namespaces, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
