"""The symbolic budgets and error, importable without SymPy (the CLI's parsers read them)."""
from __future__ import annotations

from ..errors import DiffcompareError

__all__ = ["DEFAULT_BUDGET", "SETUP_BUDGET", "MAX_COST", "SymbolicSetupError"]

DEFAULT_BUDGET = 2.0
"""CPU seconds one symbolic step (a ``sympy.diff``, a ``cse``, a ``simplify``...) may take in
its own process before it is called intractable: the one definition the swell command, the
report's swell section and ``explain`` share."""

SETUP_BUDGET = 20.0
"""CPU seconds for the whole setup of the ``symbolic`` method (build, differentiate, cse,
lambdify) -- several steps, on models up to hundreds of parameters; an operating limit of
the method, not the definition of intractable."""


MAX_COST = 300.0
"""CPU seconds a swell sweep may be predicted to take before it is refused (the CLI's
--max-cost raises it): its builds and our own sweeps grow with the depth, SymPy's steps stop
at their budget."""


class SymbolicSetupError(DiffcompareError):
    """An unexpected failure inside the symbolic setup (a table rule that does not run on
    SymPy values, say): reported with the exception's type and message, never raw."""
