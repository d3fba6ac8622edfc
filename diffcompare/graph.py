"""The computational graph of a recorded tape, drawn the way micrograd's ``draw_dot`` draws
its graph: a box per value (its name, forward value and adjoint dL/dvalue from the
backward pass) fed by an ellipse per op (the op as the tape prints it, ``t1 + b``)::

    >>> tape = dc.trace(models.get("neuron"), {"w": 0.5, "b": 0.1})
    >>> graph.draw(tape, "neuron.svg")         # or .png; .dot writes DOT text
    >>> print(graph.to_dot(tape))              # doctest: +SKIP

Layers run left to right: an op's layer is the longest path from an input, so the output
is on the right; an input is drawn in the layer just before its first use (as graphviz
places micrograd's ``b`` beside its ``+``), which keeps its arrow short.

Why matplotlib and not graphviz: it is already a dependency and needs no system binary;
the DOT text is there for whoever has graphviz. Why collapse: past ``max_nodes`` values
(or ``max_layers`` layers) a drawing is a hairball, so the picture becomes one box per op
kind per band of layers, and its title says what was merged. Everything here is a loop
over the tape, whose append order is already a topological order: no recursion, so a
100,000-op tape collapses instead of raising RecursionError.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

import numpy as np

from .errors import BadOptionError

__all__ = ["Graph", "Node", "build", "draw", "figure", "to_dot", "FORMATS"]

FORMATS = (".svg", ".png", ".dot")
MAX_NODES = 200      # values drawn one by one up to here (a ~150-op MLP stays legible)
MAX_LAYERS = 60      # columns; beyond, a picture at a readable font is metres wide
_MAX_OP = 22         # characters of an op label before it is cut


@dataclass
class Node:
    """One box: ``lines`` of text, its ``layer`` (column), ``op`` (the ellipse feeding it,
    None for an input or a group) and ``kind`` ("input", "op", "output" or "group")."""
    lines: tuple
    layer: int
    op: str | None = None
    kind: str = "op"


@dataclass
class Graph:
    """Boxes and arrows (``edges`` as (from, to) node indices) ready to lay out; ``note``
    says what was collapsed ("" when every value has its own box)."""
    nodes: list
    edges: list
    title: str
    note: str = ""
    layers: int = field(init=False)

    def __post_init__(self):
        self.layers = 1 + max((n.layer for n in self.nodes), default=0)

    def __repr__(self):
        return f"<Graph: {len(self.nodes)} boxes, {len(self.edges)} arrows, {self.layers} layers>"

    def as_dict(self):
        """Plain data (JSON): what a record carries so a renderer can draw it later."""
        return {"nodes": [{"lines": list(n.lines), "layer": n.layer, "op": n.op, "kind": n.kind} for n in self.nodes],
                "edges": [list(e) for e in self.edges], "title": self.title, "note": self.note}

    @classmethod
    def from_dict(cls, d):
        return cls([Node(tuple(n["lines"]), n["layer"], n["op"], n["kind"]) for n in d["nodes"]],
                   [tuple(e) for e in d["edges"]], d["title"], d.get("note", ""))


def _show(v, digits):
    """A number as ``print(tape)`` shows it; an array as its shape (its entries would not fit)."""
    if np.ndim(v):
        return f"<array {'x'.join(map(str, np.shape(v)))}>"
    try:
        return f"{float(v):.{digits}g}"
    except TypeError:                        # a SymPy value: its text, cut short
        s = str(v)
        return s if len(s) <= 16 else s[:15] + "…"


def _adjoint(v, digits):
    """A scalar adjoint, or an array adjoint's norm (the entries would not fit a box)."""
    if np.ndim(v) == 0:
        return "= " + _show(v, digits)
    return f"‖·‖ = {float(np.linalg.norm(v)):.{digits}g}"


def _layers(tape):
    """Longest path from an input for every op; every input one layer before its first use."""
    entries = tape.entries
    layer, first = [0] * len(entries), {}
    for i, (prim, links, *_) in enumerate(entries):
        if prim is None:
            continue
        layer[i] = 1 + max(layer[p] for _, p in links)
        for _, p in links:
            if entries[p][0] is None:
                first[p] = min(first.get(p, layer[i]), layer[i])
    for p, l in first.items():
        layer[p] = l - 1
    return layer


def build(tape, max_nodes=MAX_NODES, max_layers=MAX_LAYERS, digits=4):
    """The tape as a :class:`Graph`: one box per entry (value) with its op, or -- past
    ``max_nodes`` entries or ``max_layers`` layers -- one box per op kind per band of layers
    (at most ``max_layers // 2`` bands: a summary reads best narrow). ``max_nodes=None``
    never collapses."""
    if max_nodes is None:
        max_nodes = max_layers = math.inf
    names, entries = tape.names(), tape.entries
    out = tape.output
    try:
        with np.errstate(all="ignore"):
            bars = tape.backward(keep=True) if out is not None else {}
        failed = ""
    except ArithmeticError as e:         # sqrt or log at 0: the drawing still has the values
        bars, failed = None, f"; no adjoints: the backward pass failed ({type(e).__name__})"
    oname = names.get(out, "out")
    # A short output name reads as the lecture's dL/dz; a long one would double every box.
    d = (lambda n: f"d{oname}/d{n}") if len(oname) <= 2 else (lambda n: "grad")
    n_ops = len(tape)
    n_in = len(tape.inputs)
    title = f"{n_ops:,} op{'s' * (n_ops != 1)}, {n_in:,} input{'s' * (n_in != 1)}{failed}"
    layer = _layers(tape)
    if len(entries) <= max_nodes and max(layer, default=0) < max_layers:
        grad = d("name") if len(oname) <= 2 else f"grad = d{oname}/dname"
        title += f"; each box: name = forward value, {grad} (backward pass)"
        return _full(tape, names, bars, layer, title, d, digits)
    return _grouped(tape, names, layer, title, max_layers, digits)


def _full(tape, names, bars, layer, title, d, digits):
    nodes, edges, out = [], [], tape.output
    for i, (prim, links, args, value, kw) in enumerate(tape.entries):
        name = names[i]
        adj = d(name) + (" = ?" if bars is None else " " + _adjoint(bars[i], digits) if i in bars
                         else " = 0 (no path)")
        lines = (f"{name} = {_show(value, digits)}", adj)
        op = None
        if prim is not None:
            shown = [_show(a, digits) for a in args]
            for pos, p in links:
                shown[pos] = names[p]
            op = prim.show.format(*shown, **(kw or {}))
            op = op if len(op) <= _MAX_OP else op[:_MAX_OP - 1] + "…"
            edges += [(p, i) for _, p in links]
        kind = "output" if i == out else "input" if prim is None else "op"
        nodes.append(Node(lines, layer[i], op, kind))
    return Graph(nodes, edges, title)


def _grouped(tape, names, layer, title, max_layers, digits):
    """One box per (band of layers, op kind), and the inputs one band before the band that
    first uses them; arrows where a value crosses from one band to a later one (inside a
    band the kinds interleave: that is what the band hides)."""
    entries, out = tape.entries, tape.output
    n_layers = 1 + max(layer)
    width = max(1, math.ceil(n_layers / max(1, max_layers // 2 - 1)))     # + 1 band for inputs
    band = [layer[i] // width if e[0] is not None else (layer[i] + 1) // width - 1
            for i, e in enumerate(entries)]
    shift = -min(band)                       # an input used in band 0 sits in a band of its own
    key = [(b + shift, e[0].name if e[0] is not None else "input") for b, e in zip(band, entries)]
    index = {k: j for j, k in enumerate(sorted(set(key), key=lambda k: (k[0], k[1] != "input", k[1])))}
    members = [[] for _ in index]
    for i, k in enumerate(key):
        members[index[k]].append(i)
    nodes = []
    for (col, kind), ids in zip(index, members):
        lo = (col - shift) * width
        hi = min(n_layers, lo + width) - 1
        lines = [f"{kind} ×{len(ids):,}", f"layer {lo}" if lo == hi else f"layers {lo}–{hi}"]
        if kind == "input":
            lines[1] = ", ".join(names[i] for i in ids[:3]) + (", …" if len(ids) > 3 else "")
        if out in ids:
            lines.append(f"output {names[out]} = {_show(entries[out][3], digits)}")
        nodes.append(Node(tuple(lines), col, None, "output" if out in ids else
                          "input" if kind == "input" else "group"))
    edges = sorted({(index[key[p]], index[key[i]]) for i, e in enumerate(entries)
                    for _, p in e[1] if key[p][0] < key[i][0]})
    note = (f"collapsed: {len(entries):,} values in {n_layers:,} layers drawn as {len(nodes)} boxes, "
            + ("one per op kind per layer" if width == 1 else
               f"one per op kind per band of {width} layers (arrows join bands)"))
    return Graph(nodes, edges, title, note)


# --- DOT ----------------------------------------------------------------------------------

def _dot_text(s):
    # Record labels treat { } | < > as structure; quotes and backslashes end the string.
    for c in '\\"{}|<>':
        s = s.replace(c, "\\" + c)
    return s


def to_dot(tape, max_nodes=MAX_NODES, max_layers=MAX_LAYERS, digits=4):
    """DOT text for graphviz (``dot -Tsvg``), one line per node and per edge; ``max_nodes=None``
    keeps every value however large the tape."""
    return _dot(build(tape, max_nodes, max_layers, digits))


def _dot(g):
    lines = ["digraph tape {", "  rankdir=LR;",
             '  node [fontname="DejaVu Sans Mono", fontsize=10];',
             f'  label="{_dot_text(g.title + (". " + g.note if g.note else ""))}"; labelloc=t;']
    for j, n in enumerate(g.nodes):
        fill = _FILL[n.kind]
        label = " | ".join(_dot_text(s) for s in n.lines)
        lines.append(f'  v{j} [shape=record, style=filled, fillcolor="{fill}", label="{{ {label} }}"];')
        if n.op is not None:
            lines.append(f'  o{j} [shape=ellipse, style=filled, fillcolor="{_FILL["ellipse"]}", '
                         f'label="{_dot_text(n.op)}"];')
            lines.append(f"  o{j} -> v{j};")
    for a, b in g.edges:
        lines.append(f"  v{a} -> {'o' if g.nodes[b].op is not None else 'v'}{b};")
    lines.append("}")
    return "\n".join(lines) + "\n"


# --- picture ------------------------------------------------------------------------------

_FILL = {"input": "#dcebf7", "op": "#ffffff", "output": "#fde4c8", "group": "#ece6f5",
         "ellipse": "#eeeeee"}
_FONT = 9                        # points: the same on every graph, however large
_DPI = 100
_CHAR = 0.08                     # inches per character: DejaVu Sans Mono's 0.6 em, which Agg
_LINE = 0.16                     # hints up to 8 whole pixels at 9 pt and 100 dpi; a line
_PAD, _VGAP, _ROWGAP, _GAP, _MARGIN = 0.06, 0.1, 0.3, 0.4, 0.2     # inches


def check_path(path):
    """The output format from ``path``'s extension; a typed error for anything we cannot
    write (an unknown extension, a folder that does not exist)."""
    ext = os.path.splitext(str(path))[1].lower()
    if ext not in FORMATS:
        raise BadOptionError(f"graph file {str(path)!r}: the extension must be one of "
                             f"{', '.join(FORMATS)}, got {ext or 'none'!r}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise BadOptionError(f"graph file {str(path)!r}: the folder {folder!r} does not exist")
    return ext


def draw(tape, path, max_nodes=MAX_NODES, max_layers=MAX_LAYERS, digits=4):
    """Draw ``tape``'s graph to ``path``: .svg or .png (matplotlib, no system binary) or
    .dot (DOT text); options as :func:`build`. Returns the :class:`Graph` drawn."""
    ext = check_path(path)
    g = build(tape, max_nodes, max_layers, digits)
    try:
        if ext == ".dot":
            with open(path, "w", encoding="utf-8") as f:
                f.write(_dot(g))
        else:
            from matplotlib import rc_context
            with rc_context({"svg.fonttype": "none"}):   # SVG text stays text (searchable, small)
                figure(g).savefig(path, format=ext[1:], dpi=_DPI)
    except OSError as e:
        raise BadOptionError(f"cannot write graph file {str(path)!r}: {e.strerror or e}") from None
    return g


def _order(g):
    """Each node's row (y, in row pitches): a few sweeps move every box toward the mean row
    of its neighbours, then push apart a column's boxes that come closer than one row --
    so a chain runs straight and arrows cross less."""
    cols = [[] for _ in range(g.layers)]
    for j, n in enumerate(g.nodes):
        cols[n.layer].append(j)
    parents, children = [[] for _ in g.nodes], [[] for _ in g.nodes]
    for a, b in g.edges:
        parents[b].append(a)
        children[a].append(b)
    # An op lines up with the ops feeding it, not with its inputs (which sit beside it
    # anyway): a chain with a weight at every step then runs straight instead of climbing.
    inner = [[a for a in p if g.nodes[a].kind != "input"] or p for p in parents]
    y = [0.0] * len(g.nodes)
    for col in cols:
        for r, j in enumerate(col):
            y[j] = -r
    # Sweeps right-to-left (toward children), then left-to-right (toward parents), ending
    # left-to-right so the picture reads from its inputs.
    for sweep in range(5):
        toward = children if sweep % 2 == 0 else inner
        for col in (reversed(cols) if sweep % 2 == 0 else cols):
            want = {j: sum(y[k] for k in toward[j]) / len(toward[j]) if toward[j] else y[j] for j in col}
            col.sort(key=lambda j: -want[j])
            for r, j in enumerate(col):
                y[j] = want[j] if r == 0 else min(want[j], y[col[r - 1]] - 1.0)
            # Shift the column so its busiest boxes keep the rows they want (on average);
            # inputs move aside.
            busy = {j: len(inner[j]) + len(children[j]) for j in col}
            top = [j for j in col if busy[j] == max(busy.values())]
            shift = sum(want[j] - y[j] for j in top) / len(top)
            for j in col:
                y[j] += shift
    low = min(y, default=0.0)
    return cols, [v - low for v in y]


def _size(lines):
    """(width, height) in inches of a box holding ``lines`` (monospace: exact widths)."""
    return max(map(len, lines)) * _CHAR + 2 * _PAD, len(lines) * _LINE + 2 * _PAD


def figure(g):
    """The matplotlib figure of a :class:`Graph` (what ``draw`` saves).

    Each op's ellipse sits on top of its value's box (as wide as one box, so a chain of
    ten ops fits a screen); arrows run from a box's right side to the next op's left."""
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyArrowPatch

    def arrow(start, end):
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=8, lw=0.7,
                                     color="#666666", zorder=1, shrinkA=0, shrinkB=0))

    cols, row = _order(g)
    op_h = _LINE + 2 * _PAD
    lift = (op_h + _VGAP) if any(n.op for n in g.nodes) else 0.0
    pitch = max(_size(n.lines)[1] for n in g.nodes) + lift + _ROWGAP
    widths = [max(max(_size(g.nodes[j].lines)[0], _size([g.nodes[j].op or ""])[0]) for j in c)
              if c else 0.0 for c in cols]
    xs, left = [], _MARGIN
    for w in widths:
        xs.append(left + w / 2)
        left += w + _GAP
    span = (max(row) + 1) * pitch
    top = 0.35 + 0.22 * bool(g.note)
    W, H = max(left - _GAP + _MARGIN, 2 * _MARGIN + len(g.title + g.note) * _CHAR), span + top
    fig = Figure(figsize=(W, H))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, W)
    ax.set_ylim(-pitch / 2, span - pitch / 2 + top)
    ax.axis("off")
    pad = _PAD * 72 / _FONT                       # a boxstyle's pad is in font sizes
    text = dict(ha="center", va="center", family="DejaVu Sans Mono", fontsize=_FONT, zorder=3)
    ins, outs = {}, {}
    for c, col in enumerate(cols):
        for j in col:
            n, x = g.nodes[j], xs[c]
            w, h = _size(n.lines)
            y = row[j] * pitch - lift / 2
            ax.text(x, y, "\n".join(n.lines), **text,
                    bbox=dict(boxstyle=f"round,pad={pad}", fc=_FILL[n.kind], ec="#555555", lw=0.8))
            outs[j], ins[j] = (x + w / 2, y), (x - w / 2, y)
            if n.op:
                # Left-aligned over its box, so an arrow from below-left reaches the op
                # without crossing the box.
                ow = _size([n.op])[0]
                ox, oy = x - w / 2 + ow / 2, y + h / 2 + _VGAP + op_h / 2
                ax.text(ox, oy, n.op, **text,
                        bbox=dict(boxstyle=f"round4,pad={pad}", fc=_FILL["ellipse"], ec="#888888", lw=0.8))
                arrow((ox, oy - op_h / 2), (ox, y + h / 2))
                ins[j] = (ox - ow / 2, oy)
    for a, b in g.edges:
        arrow(outs[a], ins[b])
    y_top = span - pitch / 2 + top
    ax.text(_MARGIN, y_top - 0.2, g.title, ha="left", va="center", fontsize=_FONT + 1)
    if g.note:
        ax.text(_MARGIN, y_top - 0.42, g.note, ha="left", va="center", fontsize=_FONT + 1, color="#a0301c")
    return fig


