"""What a gradient check returns: its status, the probes as table rows (worst first), and a
message of at most 30 lines; plus the likely kind of a bug, read off the failing entries.

Statuses: ``pass`` (every probe agrees within the modelled numerical error and every entry
was resolved), ``fail`` (a probe disagrees on a smooth, second-order stencil or by one-sided
differences from both sides), ``inconclusive`` (a kink, noise, a non-finite f, entries the
dtype cannot resolve, or the evaluation budget ran out -- with the reason).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import DiffcompareError

__all__ = ["Entry", "GradcheckResult", "GradcheckError", "GradcheckInputError", "VERDICTS",
           "bug_kind"]

# probe verdicts, in the order the table shows them
VERDICTS = ("FAIL", "unconfirmed", "kink", "nonfinite", "noise", "underflow", "ok")


class GradcheckInputError(DiffcompareError):
    """Arguments gradcheck cannot use (not a function, params of the wrong kind, f not finite
    at the given point, options that make the check vacuous...)."""


class GradcheckError(AssertionError):
    """Raised by ``assert_gradcheck``: the compact failure message, and ``.result``."""

    def __init__(self, result):
        super().__init__(result.summary())
        self.result = result


@dataclass(frozen=True)
class Entry:
    """One probe: a coordinate (``index`` a tuple), a direction or a group (``index`` None).
    Values are per unit of the entry for coordinates, per unit step along the direction
    otherwise. ``output``: the output entry (jvp and second-order checks), else None."""
    name: str
    index: tuple | None
    point: int
    analytic: float
    numeric: float
    abs_error: float
    rel_error: float
    expected: float          # the error model's bound on the numerical derivative's error
    step: float
    verdict: str
    output: str | None = None
    rough: bool = False      # f was not smooth within this probe's first stencil: a kink near

    @property
    def ratio(self):
        if self.expected > 0:
            return self.abs_error / self.expected
        return math.inf if self.abs_error > 0 else 0.0

    def label(self):
        base = self.name if self.index is None else \
            f"{self.name}[{', '.join(map(str, self.index))}]" if self.index else self.name
        return f"{base}->{self.output}" if self.output else base


@dataclass
class GradcheckResult:
    status: str                       # "pass" / "fail" / "inconclusive"
    reason: str
    entries: list                     # worst first
    method: str
    steps: tuple                      # (smallest, largest) step used, relative to each entry's scale
    n_params: int
    evals: int
    points: int
    seed: int
    tol: float
    noise: list = field(default_factory=list)      # estimated noise sigma of f per point
    unverified: list = field(default_factory=list)  # entry names the dtype cannot resolve
    kind: str = ""                    # the bug's likely kind, when the evidence supports one
    target: str = "grad"              # grad / vjp / jvp / hvp / hess

    def __bool__(self):
        return self.status == "pass"

    @property
    def failures(self):
        return [e for e in self.entries if e.verdict == "FAIL"]

    def summary(self, max_lines=30):
        """At most ``max_lines`` lines: the verdict, the method, the worst entries first."""
        lo, hi = self.steps
        head = [f"gradcheck ({self.target}): {self.status.upper()} -- {_clip(self.reason, 400)}",
                f"  {self.n_params} params, {self.points} point(s), {self.evals} evaluations of f; "
                f"{self.method}; steps {lo:.1e}..{hi:.1e} of each entry's scale; tol x{self.tol:g}"]
        if self.kind:
            head.append(f"  likely bug: {self.kind}")
        if self.unverified:
            more = len(self.unverified) - 6
            head.append("  unverified: " + ", ".join(self.unverified[:6]) + (f" and {more} more" if more > 0 else ""))
        rows = [e for e in self.entries if e.verdict != "ok"] or self.entries[:5]
        room = max(1, max_lines - len(head) - 2)
        lines = [f"  {'entry':<24} {'pt':>2} {'analytic':>12} {'numeric':>12} {'abs err':>9} "
                 f"{'rel err':>8} {'expected':>9}  verdict"]
        for e in rows[:room]:
            lines.append(f"  {e.label()[:24]:<24} {e.point:>2} {e.analytic:>12.5g} {e.numeric:>12.5g} "
                         f"{e.abs_error:>9.2e} {e.rel_error:>8.1e} {e.expected:>9.2e}  {e.verdict}")
        if len(rows) > room:
            lines.append(f"  ... {len(rows) - room} more")
        return "\n".join(head + lines)

    __str__ = summary

    def as_dict(self):
        d = {k: getattr(self, k) for k in ("status", "reason", "method", "n_params", "evals", "points",
                                           "seed", "tol", "noise", "unverified", "kind", "target")}
        d["steps"] = list(self.steps)
        d["entries"] = [dict(name=e.name, index=None if e.index is None else list(e.index),
                             output=e.output, point=e.point, analytic=e.analytic, numeric=e.numeric,
                             abs_error=e.abs_error, rel_error=e.rel_error, expected=e.expected,
                             step=e.step, verdict=e.verdict) for e in self.entries]
        return d


def _clip(text, n):
    return text if len(text) <= n else text[: n - 3] + "..."


def order_entries(entries):
    """Failures first, coordinates before directions (they name the culprits), worst ratio first."""
    rank = {v: i for i, v in enumerate(VERDICTS)}
    return sorted(entries, key=lambda e: (rank[e.verdict], e.index is None, -e.ratio))


def bug_kind(fails, partners=()):
    """The likely kind of bug from failing coordinate entries (analytic vs numeric), when every
    one of them supports it: a factor 2 or 1/2, a flipped sign, zeros, or values that belong
    to other entries (a permutation or a transpose: ``partners`` are (entry, other) pairs
    where the entry's analytic value matches the other entry's numeric one)."""
    coords = [e for e in fails if e.index is not None and e.output is None and math.isfinite(e.numeric)]
    if not coords:
        coords = [e for e in fails if math.isfinite(e.numeric)]
    if not coords:
        return ""
    a = np.array([e.analytic for e in coords])
    n = np.array([e.numeric for e in coords])
    tol = np.array([max(e.expected, 1e-300) for e in coords]) * 4 + 1e-3 * np.abs(n)
    if partners and len(partners) >= min(2, len(coords)):
        pairs = ", ".join(f"analytic {e.label()} = numeric {o.label()}" for e, o in partners[:2])
        return f"a permutation or transpose of the entries ({pairs})"
    if np.all(np.abs(a) <= tol) and np.all(np.abs(n) > tol):
        return "entries are zero where the numerical derivative is not (a dropped term?)"
    for factor, what in ((2.0, "analytic = 2 x numeric (a factor 2: a missing 1/2, or a doubled term?)"),
                         (0.5, "analytic = 1/2 x numeric (a factor 1/2: a forgotten 2 of a power rule?)"),
                         (-1.0, "analytic = -numeric (a flipped sign)")):
        if np.all(np.abs(a - factor * n) <= factor * factor * tol + tol) and np.all(np.abs(n) > 2 * tol):
            return what
    return ""
