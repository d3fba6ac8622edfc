"""How the house is kept, measured: no import cycle, rooms one can read, one process runner,
nothing executed from text, and ``import diffcompare`` light."""
import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "diffcompare"
MAX_LINES = 450


def _modules():
    out = {}
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _imports(name, path, known):
    """Our modules that ``name`` imports, anywhere in its body (a function-level import is an
    edge too: a cycle through it still ties the two rooms together)."""
    is_pkg = path.name == "__init__.py"
    base = name.split(".") if is_pkg else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                root = base[:len(base) - node.level + 1]
                mod = ".".join(root + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.add(mod)
            found.update(f"{mod}.{a.name}" for a in node.names)   # from pkg import module
    return {m for m in found if m in known and m != name}


def _cycles(graph):
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out


def test_no_import_cycle():
    mods = _modules()
    # importing a submodule runs its package's __init__ too: not an edge drawn here
    graph = {name: {m for m in _imports(name, path, mods) if not name.startswith(m + ".")}
             for name, path in mods.items()}
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def _rows_lines(path):
    """The primitive table may be longer by its rows only."""
    text = path.read_text().splitlines()
    start = next(i for i, t in enumerate(text) if t.startswith("ROWS = ("))
    end = next(i for i in range(start, len(text)) if text[i] == ")")
    return end - start


@pytest.mark.parametrize("name", sorted(_modules()))
def test_every_module_reads_in_one_sitting(name):
    path = _modules()[name]
    n = len(path.read_text().splitlines())
    limit = MAX_LINES + (_rows_lines(path) if name == "diffcompare.primitives" else 0)
    assert n <= limit, f"{path.relative_to(PKG.parent)} has {n} lines (limit {limit})"


FORKS = re.compile(r"os\.fork\(|multiprocessing|ProcessPoolExecutor|subprocess\.Popen|os\.setpgid")


def test_one_process_runner():
    starts = [str(p.relative_to(PKG.parent)) for p in PKG.rglob("*.py") if FORKS.search(p.read_text())]
    assert starts == ["diffcompare/budget.py"]


def test_nothing_is_executed_from_text():
    hits = []
    for p in PKG.rglob("*.py"):
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in (
                    "eval", "exec", "sympify", "parse_expr"):
                hits.append(f"{p.name}:{node.lineno}")
    assert hits == []


def test_import_diffcompare_is_light():
    code = ("import sys, diffcompare, diffcompare.cli; "
            "print(sorted(m for m in ('sympy', 'autograd', 'scipy', 'matplotlib', 'symengine') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
