"""The report's glossary: every term the pages use, defined once, in plain words.

Sections add their own terms (``Section.glossary``); the page shows the union, sorted.
"""
from __future__ import annotations

__all__ = ["TERMS", "glossary"]

TERMS = {
    "gradient": "the vector of partial derivatives of a scalar loss with respect to every parameter.",
    "n": "the number of parameters (entries of the gradient).",
    "evaluation": "one call of the model function f(params), giving the loss.",
    "reference": "the value an error is measured against; every error in the report names its reference.",
    "50-digit reference": "SymPy's derivative of the same model function, evaluated with mpmath at 50 "
                          "significant digits at the exact binary values of the inputs.",
    "relative error": "max |gradient - reference| over all entries divided by max |reference| "
                      "(norm-wise, so a zero entry does not blow it up).",
    "round-off": "the error of rounding every result to the nearest float; u = 2^-53 ≈ 1.1e-16 in "
                 "float64 and 2^-24 ≈ 6e-8 in float32 (the unit round-off).",
    "float64 / float32": "IEEE double (about 16 significant digits) and single precision (about 7).",
    "finite differences": "a derivative estimated from values of f near x, e.g. (f(x + h) - f(x)) / h; "
                          "forward, backward, central and five-point differ in where they evaluate.",
    "step h": "the distance between the points a finite difference evaluates f at.",
    "truncation error": "the error a finite difference makes even in exact arithmetic, ~ h^p for a "
                        "scheme of order p.",
    "order p": "how fast a scheme's truncation error falls with h: forward/backward 1, central 2, "
               "five-point 4, Richardson (3 levels) 6.",
    "V-curve": "error against h on log-log axes: truncation falls with h, round-off grows as 1/h, so "
               "the error has a best step at the bottom of a V.",
    "error model": "E(h) = sqrt(truncation(h)^2 + round-off(h)^2) predicted from the scheme's "
                   "weights and the function's size; its minimum is the predicted best step.",
    "automatic step": "the step diffcompare picks without knowing f: the error model's optimum for "
                      "|f| = |f^(p+1)| = 1, scaled by max(|x|, 1), rounded to a power of two.",
    "complex step": "Im f(x + ih) / h: a finite difference that subtracts nothing, so it has no "
                    "round-off from cancellation; needs f to be complex-analytic.",
    "Richardson": "central differences at h, h/2, h/4 combined to cancel their leading error terms.",
    "autodiff (reverse mode)": "our tracer records every primitive op on a tape, then sweeps it "
                               "backwards applying each op's exact local derivative (the chain rule).",
    "autodiff-forward": "our forward mode: dual numbers carry a derivative beside each value, one "
                        "direction per pass.",
    "autodiff-compiled": "our reverse mode traced once, then replayed as a generated adjoint program "
                         "(no tape recorded per call).",
    "tape": "the recorded list of primitive operations of one evaluation (a Wengert list).",
    "autograd": "the HIPS autograd library: an independent reverse-mode implementation.",
    "symbolic": "SymPy differentiates the model's expression, then lambdify turns the derivative "
                "into a numpy function.",
    "setup": "one-off work before the first gradient (SymPy: differentiate and lambdify; autodiff: "
             "nothing), timed apart from the time per gradient.",
    "cost ratio": "time of one gradient divided by the time of one evaluation of the model (both "
                  "medians); reverse mode keeps it a small constant, finite differences ~n.",
    "median [min–max]": "a timing: the median over repeated rounds, with the fastest and slowest round.",
    "intractable": "not finished within its CPU budget (the budget is stated wherever the word is used).",
    "gradient check": "comparing a hand-written gradient against a numerical one along random "
                      "directions; pass, fail or inconclusive.",
    "nan / inf": "IEEE 'not a number' (e.g. 0 * inf, inf - inf) and infinity (overflow).",
}


def glossary(sections):
    """The common terms and every section's own, sorted case-insensitively."""
    terms = dict(TERMS)
    for s in sections:
        terms.update(getattr(s, "glossary", None) or {})
    return sorted(terms.items(), key=lambda kv: kv[0].lower())
