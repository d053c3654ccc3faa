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
