import math
import re
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import diffcompare as dc
from diffcompare import graph, models
from diffcompare.cli import main
from diffcompare.errors import BadOptionError

NEURON_OPS = ["w*x", "t1 + b", "-z", "exp(t3)", "1 + t4", "1/t5", "y - t", "t6**2", "t7/2"]


@pytest.fixture
def neuron():
    return dc.trace(models.get("neuron"), {"w": 0.5, "b": 0.1})


def _links(tape):
    return sum(len(e[1]) for e in tape.entries)


def _chain(n, op="sin"):
    def f(params, xp):
        x = params["x"]
        for _ in range(n):
            x = getattr(xp, op)(x)
        return x
    return dc.trace(f, {"x": 0.5})


def _fan(n):
    """sin(x), cos(2x), sin(3x), ... summed pairwise: many values in few layers."""
    def f(params, xp):
        x = params["x"]
        terms = [xp.sin(x)] + [xp.sin(x * k) if k % 2 else xp.cos(x * k) for k in range(2, n + 1)]
        while len(terms) > 1:
            terms = [a + b for a, b in zip(terms[::2], terms[1::2])] + terms[len(terms) // 2 * 2:]
        return terms[0]
    return dc.trace(f, {"x": 0.3})


def test_neuron_graph_has_the_tapes_nodes_edges_and_layers(neuron):
    g = graph.build(neuron)
    assert len(g.nodes) == len(neuron.entries) == 13                 # 4 inputs + 9 values
    assert [n.op for n in g.nodes if n.op] == NEURON_OPS             # the slide's nine steps
    assert len(g.edges) == _links(neuron) == 12
    assert g.note == "" and g.layers == 10
    layer = {n.lines[0].split(" = ")[0]: n.layer for n in g.nodes}
    assert [layer[k] for k in ("t1", "z", "t3", "t4", "t5", "y", "t6", "t7", "L")] == list(range(1, 10))
    # each input one layer before its first use: w, x feed t1; b feeds z; t feeds t6
    assert (layer["w"], layer["x"], layer["b"], layer["t"]) == (0, 0, 1, 6)
    assert [n.kind for n in g.nodes].count("input") == 4 and g.nodes[neuron.output].kind == "output"


def test_neuron_boxes_show_forward_values_and_adjoints(neuron):
    boxes = {n.lines[0].split(" = ")[0]: n.lines for n in graph.build(neuron).nodes}
    y = 1 / (1 + math.exp(-1.1))
    dz = (y - 1.0) * y * (1 - y)                                    # dL/dz by hand
    assert boxes["z"] == ("z = 1.1", f"dL/dz = {dz:.4g}")
    assert boxes["z"][1] == "dL/dz = -0.04679"
    assert boxes["y"] == (f"y = {y:.4g}", f"dL/dy = {y - 1:.4g}")
    assert boxes["w"] == ("w = 0.5", f"dL/dw = {2 * dz:.4g}")       # x = 2
    assert boxes["L"] == (f"L = {(y - 1) ** 2 / 2:.4g}", "dL/dL = 1")
    assert graph.build(neuron, digits=8).nodes[5].lines[1] == f"dL/dz = {dz:.8g}"


def test_a_value_the_output_does_not_reach_has_adjoint_zero():
    g = graph.build(dc.trace(lambda p, xp: p["w"] * 3.0, {"w": 2.0, "unused": 1.0}))
    assert [n.lines for n in g.nodes] == [("w = 2", "dt1/dw = 3"), ("unused = 1", "dt1/dunused = 0 (no path)"),
                                         ("t1 = 6", "dt1/dt1 = 1")]
    assert [n.layer for n in g.nodes] == [0, 0, 1]


def test_dot_is_one_line_per_node_and_edge(neuron):
    dot = graph.to_dot(neuron)
    lines = dot.strip().splitlines()
    assert lines[0] == "digraph tape {" and lines[-1] == "}"
    unescaped = re.sub(r"\\.", "", dot)
    assert unescaped.count("{") == unescaped.count("}") and unescaped.count('"') % 2 == 0
    nodes = [ln for ln in lines if re.match(r"\s+[vo]\d+ \[", ln)]
    edges = [re.match(r"\s+([vo]\d+) -> ([vo]\d+);$", ln) for ln in lines if "->" in ln]
    assert len(nodes) == len(neuron.entries) + len(neuron)           # a box per value, an op per op
    assert len(edges) == _links(neuron) + len(neuron) and all(edges)
    declared = {ln.split()[0] for ln in nodes}
    assert {e.group(k) for e in edges for k in (1, 2)} <= declared
    assert 'label="{ z = 1.1 | dL/dz = -0.04679 }"' in dot and 'label="t1 + b"' in dot


def test_dot_escapes_record_characters():
    dot = graph.to_dot(dc.trace(lambda p, xp: xp.abs(p["x"]) * 2, {"x": -1.5}))
    assert 'label="\\|x\\|"' in dot                                  # abs prints as |x|


def test_png_and_svg_are_written(neuron, tmp_path):
    png, svg = tmp_path / "n.png", tmp_path / "n.svg"
    graph.draw(neuron, png)
    graph.draw(neuron, svg)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width > 3 * height > 600                                  # layered left to right
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    texts = {"".join(t.itertext()) for t in root.iter() if t.tag.endswith("text")}   # one per line
    assert {"z = 1.1", "dL/dz = -0.04679", "t1 + b", "exp(t3)", "L = 0.03119", "dL/dL = 1"} <= texts
    assert graph.draw(neuron, tmp_path / "n.dot").nodes[5].op == "t1 + b"
    assert (tmp_path / "n.dot").read_text() == graph.to_dot(neuron)


def test_layout_rows_never_overlap_and_the_neuron_chain_runs_straight(neuron):
    g = graph.build(neuron)
    cols, row = graph._order(g)
    ops = [j for j, n in enumerate(g.nodes) if n.op]
    assert len({row[j] for j in ops}) == 1                           # t1 ... L on one row
    big = graph.build(_fan(60))
    cols, row = graph._order(big)
    for col in cols:
        ys = sorted(row[j] for j in col)
        assert all(b - a >= 1 - 1e-9 for a, b in zip(ys, ys[1:]))


def test_array_nodes_show_their_shape_not_their_entries():
    m = models.get("mlp", sizes=(2, 16, 1), batch=64)
    tape = dc.trace(m, m.init(0))
    g = graph.build(tape)
    box = {n.lines[0].split(" = ")[0]: n.lines for n in g.nodes}
    assert box["W1"][0] == "W1 = <array 2x16>"
    norm = np.linalg.norm(dc.grad(m)(m.init(0))["W1"])
    assert box["W1"][1] == f"grad ‖·‖ = {norm:.4g}"
    assert max(len(s) for n in g.nodes for s in n.lines) < 40


def test_collapse_kicks_in_past_the_threshold_and_says_so(tmp_path):
    tape = _fan(100)
    n = len(tape.entries)
    assert n > graph.MAX_NODES
    assert graph.build(tape, max_nodes=n).note == ""
    g = graph.build(tape, max_nodes=n - 1)
    assert g.note.startswith(f"collapsed: {n:,} values in ")
    counts = _counts(g)
    assert counts == {"input": 1, "sin": 50, "cos": 50, "mul": 99, "add": 99} and sum(counts.values()) == n
    assert len(g.nodes) < 20
    graph.draw(tape, tmp_path / "fan.svg")
    assert "collapsed:" in (tmp_path / "fan.svg").read_text()
    assert graph.to_dot(tape, max_nodes=None).count(" -> ") == _links(tape) + len(tape)


def _counts(g):
    """Values per kind, read off the collapsed boxes' "kind ×N" lines."""
    counts = {}
    for n in g.nodes:
        kind, count = re.match(r"(\w+) ×([\d,]+)", n.lines[0]).groups()
        counts[kind] = counts.get(kind, 0) + int(count.replace(",", ""))
    return counts


def test_deep_chain_collapses_without_recursion(tmp_path):
    tape = _chain(100_000)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)
    try:
        g = graph.draw(tape, tmp_path / "chain.png")
    finally:
        sys.setrecursionlimit(limit)
    assert _counts(g) == {"input": 1, "sin": 100_000}
    assert g.layers <= graph.MAX_LAYERS // 2
    assert "100,001 values in 100,001 layers" in g.note
    assert [n.kind for n in g.nodes].count("output") == 1 and g.nodes[-1].lines[-1].startswith("output t100000 = ")
    assert (tmp_path / "chain.png").stat().st_size > 10_000


@pytest.mark.parametrize("name", ["g.jpg", "g", "nowhere/g.png"])
def test_bad_paths_are_typed_errors(neuron, tmp_path, name):
    with pytest.raises(BadOptionError):
        graph.draw(neuron, tmp_path / name)


def test_cli_graph_and_dot(tmp_path, capsys):
    svg, dot = tmp_path / "g.svg", tmp_path / "g.dot"
    assert main(["trace", "(1/(1+exp(-(w*x+b))) - t)**2/2", "--at", "w=0.5,x=2,b=0.1,t=1",
                 "--names", "slide", "--graph", str(svg), "--dot", str(dot)]) == 0
    assert f"graph: {svg}" in capsys.readouterr().out
    assert "dL/dz = -0.04679" in svg.read_text() and 'label="t1 + b"' in dot.read_text()


@pytest.mark.parametrize("opt", [["--graph", "g.jpg"], ["--dot", "g.svg"], ["--graph", "no/such/g.png"],
                                 ["--dot", ""]])
def test_cli_bad_graph_path_is_one_line_exit_2(tmp_path, capsys, monkeypatch, opt):
    monkeypatch.chdir(tmp_path)
    assert main(["trace", "w*x", "--at", "w=1,x=2", *opt]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("diffcompare: error:")
    assert list(tmp_path.iterdir()) == []
