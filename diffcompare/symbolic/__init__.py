"""The symbolic side of diffcompare: SymPy derivatives of the ONE model definition, and the
pieces the swell experiment measures.

=============  ==============================================================================
``method``     the ``symbolic`` gradient method: ``make(f, params, ...)`` (also here, below)
``hessian``    the symbolic Hessian: ``make_hessian(f, params, ...)`` (also here, below)
``evaluate``   lambdified code run under IEEE semantics (SymEngine's ``Lambdify`` if installed)
``expressions``  the model as a SymPy expression: ``build``, ``ModelExpr``, ``memo_namespace``
``reverse``    the symbolic reverse sweep: the primitive table's partials on SymPy values
``tangent``    the tangent sweep ``tangent_diff``: SymPy's own derivative, linear in the DAG
``sizes``      tree and DAG sizes counted over the DAG, cse op counts, auto-evaluation
``engine``     SymEngine beside SymPy (optional extra)
``lecture``    the lecture's two examples, Baydin et al.'s table, SymPy's auto-evaluation
=============  ==============================================================================

Why this module imports no SymPy: ``import diffcompare`` (and every CLI command's parser)
must not pay SymPy's import (~0.7 s); the submodules import it, and ``make`` and
``make_hessian`` import their module when first called.

"Intractable" has ONE definition, ``DEFAULT_BUDGET``: a symbolic step that needs more CPU
seconds than this (in its own process, ``diffcompare.budget``) is intractable. The swell
command, the report's swell section and ``explain`` all use it, and every give-up record
states the budget it was measured under.
"""
from __future__ import annotations

from .defaults import DEFAULT_BUDGET, SETUP_BUDGET, SymbolicSetupError

__all__ = ["make", "make_hessian", "DEFAULT_BUDGET", "SETUP_BUDGET", "SymbolicSetupError"]


def make(f, params, budget=SETUP_BUDGET, cse=True, per_sample=True, engine="auto", evaluator="auto"):
    """The ``symbolic`` method's backend (see ``method.make``)."""
    from .method import make as make_gradient
    return make_gradient(f, params, budget=budget, cse=cse, per_sample=per_sample, engine=engine,
                         evaluator=evaluator)


def make_hessian(f, params, budget=SETUP_BUDGET, cse=True, per_sample=True):
    """The symbolic Hessian's backend (see ``hessian.make_hessian``)."""
    from .hessian import make_hessian as make_h
    return make_h(f, params, budget=budget, cse=cse, per_sample=per_sample)
