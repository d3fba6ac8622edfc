"""diffcompare: one model, differentiated three ways (symbolic, numerical, automatic),
compared on accuracy, speed and stability."""
from . import models
from .api import EXACT_METHODS, FD_METHODS, METHODS, GradFn, evaluate, grad, value_and_grad
from .errors import DiffcompareError
from .forward import jvp
from .gradcheck import gradcheck
from .namespaces import AUTOGRAD, FORWARD, NUMPY, SYMPY, TRACER
from .tracer import trace

__version__ = "0.1.0"
__all__ = ["gradcheck", "METHODS", "EXACT_METHODS", "FD_METHODS", "grad", "value_and_grad", "trace",
           "evaluate", "jvp", "GradFn", "DiffcompareError", "models", "NUMPY", "SYMPY", "TRACER",
           "FORWARD", "AUTOGRAD"]
