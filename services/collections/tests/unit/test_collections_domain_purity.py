"""The domain is pure: it imports no framework, database or network library, and reads no clock."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import coulisse.collections.domain as domain

FORBIDDEN = {
    "fastapi",
    "starlette",
    "sqlalchemy",
    "faststream",
    "aiokafka",
    "httpx",
    "asyncpg",
    "yaml",
    "coulisse.platform.db",
    "coulisse.platform.uow",
    "coulisse.platform.service",
    "coulisse.platform.clock",
}
MODULES = sorted(Path(domain.__file__).parent.glob("*.py"))


def imported(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", MODULES, ids=lambda path: path.name)
def test_a_domain_module_imports_nothing_impure(module: Path) -> None:
    names = imported(ast.parse(module.read_text(encoding="utf-8")))
    offending = {n for n in names for f in FORBIDDEN if n == f or n.startswith(f + ".")}
    assert not offending
    # The service's other layers depend on the domain, never the other way round.
    assert not {n for n in names if n.startswith("coulisse.collections.")}


@pytest.mark.parametrize("module", MODULES, ids=lambda path: path.name)
def test_a_domain_module_uses_no_float(module: Path) -> None:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    floats = [
        node.lineno
        for node in ast.walk(tree)
        if (isinstance(node, ast.Constant) and isinstance(node.value, float))
        or (isinstance(node, ast.Name) and node.id == "float")
    ]
    assert floats == []
