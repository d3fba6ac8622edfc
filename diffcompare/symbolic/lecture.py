"""The lecture's symbolic demonstrations, recomputed: its two Mathematica derivatives
(In[11], In[19]), Baydin et al.'s logistic-map table, and SymPy's automatic evaluation.
Plain data; the sentences are written where they are shown."""
from __future__ import annotations

import dataclasses

import sympy

from .. import models
from ..namespaces import SYMPY
from .expressions import as_expr
from .reverse import symbolic_tape
from .sizes import collapsed_ops, tree_size

__all__ = ["Example", "lecture_examples", "BAYDIN_PUBLISHED", "logistic_table", "auto_evaluation"]


@dataclasses.dataclass(frozen=True)
class Example:
    """One of the lecture's derivatives: its Mathematica input, SymPy's derivative printed
    in Mathematica's form, and the checks against the slide."""
    cell: int                    # the slide's cell number: In[11] / Out[11]
    input: str                   # the slide's input, Mathematica
    output: str                  # SymPy's derivative, Mathematica form
    slide: str                   # the slide's printed output, Mathematica form
    equals_slide: bool           # SymPy's derivative equals the slide's output
    by_hand: str = ""            # the derivative worked by hand (where the slide is wrong)
    equals_by_hand: bool | None = None


def lecture_examples():
    """The slide's two derivatives, computed; the checks against the slide are computed."""
    from sympy.printing.mathematica import mathematica_code as mc
    w, b, x, w1, w2, b1, b2 = sympy.symbols("w b x w1 w2 b1 b2", real=True)
    e = sympy.exp(w * x + b)
    d1 = sympy.diff(sympy.log(1 + e), w)
    slide11 = e * w / (1 + e)              # the slide prints w in the numerator
    by_hand = e * x / (1 + e)              # d(wx+b)/dw = x
    e1 = sympy.exp(b1 + w1 * x)
    e2 = sympy.exp(b2 + w2 * sympy.log(1 + e1))
    d2 = sympy.diff(sympy.log(1 + e2), w1)
    slide19 = sympy.exp(b1 + b2 + w1 * x + w2 * sympy.log(1 + e1)) * w2 * x / ((1 + e1) * (1 + e2))
    return [
        Example(11, "D[Log[1 + Exp[w*x + b]], w]", mc(d1), mc(slide11),
                sympy.simplify(d1 - slide11) == 0, "x e^(wx+b)/(1+e^(wx+b))",
                sympy.simplify(d1 - by_hand) == 0),
        Example(19, "D[Log[1 + Exp[w2*Log[1 + Exp[w1*x + b1]] + b2]], w1]", mc(d2), mc(slide19),
                sympy.simplify(sympy.expand(sympy.powsimp(d2 - slide19))) == 0),
    ]


# Baydin, Pearlmutter, Radul & Siskind (JMLR 2018), Table 1: l_1 = x, l_{n+1} = 4 l_n (1 - l_n).
# The published simplified derivatives, as coefficient lists (low order first) times a factor.
BAYDIN_PUBLISHED = {
    1: ("x", "1", "1", (1, [1])),
    2: ("4x(1-x)", "4(1-x) - 4x", "4 - 8x", (4, [1, -2])),
    3: ("16x(1-x)(1-2x)^2", "16(1-x)(1-2x)^2 - 16x(1-2x)^2 - 64x(1-x)(1-2x)",
        "16(1 - 10x + 24x^2 - 16x^3)", (16, [1, -10, 24, -16])),
    4: ("64x(1-x)(1-2x)^2(1-8x+8x^2)^2",
        "128x(1-x)(-8+16x)(1-2x)^2(1-8x+8x^2) + 64(1-x)(1-2x)^2(1-8x+8x^2)^2 - 64x(1-2x)^2(1-8x+8x^2)^2 "
        "- 256x(1-x)(1-2x)(1-8x+8x^2)^2",
        "64(1 - 42x + 504x^2 - 2640x^3 + 7040x^4 - 9984x^5 + 7168x^6 - 2048x^7)",
        (64, [1, -42, 504, -2640, 7040, -9984, 7168, -2048])),
}


def logistic_table():
    """Rows for n = 1..4 (Baydin's numbering; our model runs n-1 steps): the published l_n,
    d/dx and simplified form beside SymPy's l_n, sympy.diff and expand, their tree sizes, and
    whether the expanded derivative equals the published polynomial exactly."""
    x = sympy.Symbol("x", real=True)
    rows = []
    for n, (pl, pd, ps, (k, coeffs)) in BAYDIN_PUBLISHED.items():
        m = models.get("logistic_map", n=n - 1)
        l = as_expr(m({"x": x}, SYMPY))
        dl = sympy.diff(l, x)
        published = k * sum(c * x ** i for i, c in enumerate(coeffs))
        rows.append({"n": n, "published_l": pl, "published_d": pd, "published_simplified": ps,
                     "sympy_l": str(l), "sympy_d": str(dl), "sympy_expanded": str(sympy.expand(dl)),
                     "tree_l": tree_size([l])[0][0], "tree_d": tree_size([dl])[0][0],
                     "matches_published": sympy.expand(dl - published) == 0})
    return rows


def _naive_nest(depth):
    def naive(params, xp, x):
        h = x
        for k in range(1, depth + 1):
            h = xp.log(xp.exp(params[f"w{k}"] * h + params[f"b{k}"]))
        return h
    params = {f"{k}{i}": 0.5 for i in range(1, depth + 1) for k in "wb"}
    return models.Model("naive_nest", naive, lambda rng: dict(params), {"x": 0.5}), params


def auto_evaluation(depth=4):
    """SymPy's automatic evaluation, detected: a naive nest log(exp(w h + b)) collapses
    (exp(log z) -> z rewrites happen as the expression is built), the lecture's
    log(1 + exp(...)) does not. One dict per nest: its form, depth, tape length, ops
    collapsed, an example rewrite and the start of the expression SymPy built."""
    chain = models.get("softplus_chain", depth=depth)
    out = []
    for form, (m, p) in (("log(exp(w h + b))", _naive_nest(depth)), ("log(1 + exp(w h + b))", (chain, chain.params))):
        st, tape = symbolic_tape(m, p)
        n, ex = collapsed_ops(st)
        out.append({"model": m.name, "form": form, "depth": depth, "tape": len(tape), "collapsed": n,
                    "example": ex[0] if ex else "", "expr": str(st.entries[st.output][3])[:90]})
    return out
