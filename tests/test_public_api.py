"""Pin the server package's public surface; each package pins its own `__all__` in its test folder."""

from __future__ import annotations

import importlib

import pytest

EXPECTED_ALL = {
    "ruv_swarm_mcp": ["__version__", "build_server", "main"],
}


@pytest.mark.parametrize("module_name", sorted(EXPECTED_ALL))
def test_all_is_pinned(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert sorted(module.__all__) == sorted(EXPECTED_ALL[module_name])


@pytest.mark.parametrize("module_name", sorted(EXPECTED_ALL))
def test_every_exported_name_resolves(module_name: str) -> None:
    module = importlib.import_module(module_name)
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert not missing


@pytest.mark.parametrize("module_name", ["ruv_swarm_mcp", "swarm_core", "neural"])
def test_package_is_typed(module_name: str) -> None:
    import pathlib

    module = importlib.import_module(module_name)
    assert (pathlib.Path(module.__file__).parent / "py.typed").is_file()
