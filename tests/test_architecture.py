"""Dependencies flow one way: ruv_swarm_mcp -> swarm_core -> neural."""

from __future__ import annotations

import ast
import json
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]

# package -> top-level modules it must never load, directly or transitively
FORBIDDEN_AT_RUNTIME = {
    "neural": ["swarm_core", "ruv_swarm_mcp", "mcp", "sqlmodel", "sqlalchemy", "anyio", "pydantic"],
    "swarm_core": ["ruv_swarm_mcp", "mcp"],
}

# package -> our own packages its source must never name in an import statement
FORBIDDEN_IN_SOURCE = {
    "neural": {"swarm_core", "ruv_swarm_mcp"},
    "swarm_core": {"ruv_swarm_mcp"},
    "ruv_swarm_mcp": {"neural"},
}


def _loaded_after_import(package: str) -> set[str]:
    code = (
        "import json, sys\n"
        f"import {package}\n"
        f"import pkgutil, importlib\n"
        f"for m in pkgutil.walk_packages({package}.__path__, '{package}.'):\n"
        "    importlib.import_module(m.name)\n"
        "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(json.loads(out.stdout))


@pytest.mark.parametrize("package", sorted(FORBIDDEN_AT_RUNTIME))
def test_importing_a_package_loads_nothing_upstream(package: str) -> None:
    loaded = _loaded_after_import(package)
    leaked = sorted(loaded & set(FORBIDDEN_AT_RUNTIME[package]))
    assert not leaked, f"importing {package} (and all its modules) loaded {leaked}"


def _imported_top_levels(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN_IN_SOURCE))
def test_source_never_imports_against_the_flow(package: str) -> None:
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = _imported_top_levels(path) & FORBIDDEN_IN_SOURCE[package]
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert not offenders, "\n".join(offenders)


def test_checker_sees_a_violation(tmp_path: pathlib.Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nfrom swarm_core.store import x\n", encoding="utf-8")
    assert "swarm_core" in _imported_top_levels(bad)


def test_importing_neural_compiles_nothing() -> None:
    code = (
        "import numba.core.registry as r, neural\n"
        "from numba.core.dispatcher import Dispatcher\n"
        "import gc\n"
        "compiled = [d for d in gc.get_objects() if isinstance(d, Dispatcher) and d.signatures]\n"
        "print(len(compiled))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "0"


# -- swarm_core's own import graph: no cycle, whatever the kind of import --------------------------


def _module_name(root: pathlib.Path, path: pathlib.Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _import_graph(package_dir: pathlib.Path) -> dict[str, set[str]]:
    """Module -> modules of the same package it imports, counting every import statement
    anywhere in the file (module level, inside functions, under `if TYPE_CHECKING:`, in
    `try`/`except`) and `importlib.import_module("...")` / `__import__("...")` calls with a
    literal name. `from pkg import name` counts as importing `pkg.name` when that is a module,
    else `pkg`. The implicit import of a submodule's parent package is not an edge (every
    package that re-exports its submodules would otherwise be a cycle)."""
    files = {_module_name(package_dir, p): p for p in sorted(package_dir.rglob("*.py"))}
    packages = {_module_name(package_dir, p) for p in package_dir.rglob("__init__.py")}
    top = package_dir.name

    def resolve(name: str) -> str | None:
        while name and name not in files:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {m: set() for m in files}
    for mod, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        here = mod if mod in packages else mod.rpartition(".")[0]
        targets: list[str] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets.extend(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here
                    for _ in range(node.level - 1):
                        base = base.rpartition(".")[0]
                    base = f"{base}.{node.module}" if node.module else base
                else:
                    base = node.module or ""
                for a in node.names:
                    full = f"{base}.{a.name}"
                    targets.append(full if full in files else base)
            elif isinstance(node, ast.Call):
                fn = node.func
                called = (
                    fn.attr
                    if isinstance(fn, ast.Attribute)
                    else fn.id
                    if isinstance(fn, ast.Name)
                    else ""
                )
                if (
                    called in ("import_module", "__import__")
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                ):
                    targets.append(node.args[0].value)
        for t in targets:
            if t == top or t.startswith(top + "."):
                r = resolve(t)
                if r is not None and r != mod:
                    graph[mod].add(r)
    return graph


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(graph, white)
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        colour[n] = grey
        stack.append(n)
        for m in sorted(graph[n]):
            if colour[m] == grey:
                return [*stack[stack.index(m) :], m]
            if colour[m] == white and (found := visit(m)) is not None:
                return found
        stack.pop()
        colour[n] = black
        return None

    for n in sorted(graph):
        if colour[n] == white and (found := visit(n)) is not None:
            return found
    return None


def test_swarm_core_import_graph_has_no_cycle() -> None:
    graph = _import_graph(ROOT / "swarm_core")
    assert len(graph) > 40 and graph["swarm_core._engine"], "the graph was not built"
    cycle = _find_cycle(graph)
    assert cycle is None, "import cycle in swarm_core: " + " -> ".join(cycle or [])


def test_only_the_engine_reaches_the_handler_and_strategy_registries() -> None:
    """Handlers and strategies are injected into Engine: no service imports them (or the
    Engine), so a service can be built and tested alone."""
    graph = _import_graph(ROOT / "swarm_core")
    registries = ("swarm_core.agents", "swarm_core._strategies")
    offenders = sorted(
        f"{mod} imports {dep}"
        for mod, deps in graph.items()
        for dep in deps
        if (dep.startswith(registries) and not mod.startswith((*registries, "swarm_core._engine")))
        or (dep == "swarm_core._engine" and mod not in ("swarm_core", "swarm_core._jit_warmup"))
    )
    assert not offenders, "\n".join(offenders)


def test_cycle_checker_sees_deferred_type_only_and_importlib_cycles(
    tmp_path: pathlib.Path,
) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "a.py").write_text("def f():\n    from pkg import b\n", encoding="utf-8")
    (pkg / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.c import X\n",
        encoding="utf-8",
    )
    (pkg / "c.py").write_text("import importlib\nimportlib.import_module('pkg.a')\n", "utf-8")
    graph = _import_graph(pkg)
    assert graph["pkg.a"] == {"pkg.b"} and graph["pkg.b"] == {"pkg.c"}
    assert _find_cycle(graph) == ["pkg.a", "pkg.b", "pkg.c", "pkg.a"]
    (pkg / "c.py").write_text("X = 1\n", encoding="utf-8")
    assert _find_cycle(_import_graph(pkg)) is None
