"""Typed errors. Every error a user can cause is a `DiffcompareError`; the CLI prints its
message on one line and exits 2."""


class DiffcompareError(Exception):
    """Base class of every error diffcompare raises on bad input."""


class UnknownOpError(DiffcompareError):
    """An op the tracer has no row for."""


class TracerError(DiffcompareError):
    """A traced value was used behind the namespace's back (np.*, math.*, float())."""


class NonScalarOutputError(DiffcompareError):
    """`grad` of a function whose output is not a scalar."""


class BadParamsError(DiffcompareError):
    """Params that are not a dict of finite floats/arrays."""


class UnknownNameError(DiffcompareError):
    """An unknown model, method, optimizer, data set or option."""


class BadOptionError(DiffcompareError):
    """An option with a value outside its domain (a step h <= 0, a learning rate <= 0...)."""


class IntractableError(DiffcompareError):
    """A symbolic computation passed its time budget (a finding, not a crash)."""

    def __init__(self, message, budget=None, step=None, cpu_used=None, kind="cpu"):
        super().__init__(message)
        self.budget = budget            # the CPU budget, seconds
        self.step = step                # what was given up
        self.cpu_used = cpu_used        # CPU seconds the step really had
        self.kind = kind                # "cpu" | "memory" | "wall"

    def __reduce__(self):               # crosses the process boundary (budget.py) intact
        return (type(self), (str(self), self.budget, self.step, self.cpu_used, self.kind))


class ExprError(DiffcompareError):
    """An expression string that the safe parser refuses (with the column)."""

    def __init__(self, message, column=None):
        super().__init__(message if column is None else f"{message} (column {column})")
        self.column = column
