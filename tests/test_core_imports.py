"""lms/core is the engine every package uses, so it imports no domain package: a walk over its
imports (top-level and inside functions) fails for any ``lms.<package>`` outside the allowed set.

Allowed: ``lms.core`` itself and the plumbing beneath every package — ``lms.db`` (engine, session,
base), ``lms.extensions`` (unbound Flask extensions), ``lms.config`` (settings) and ``lms.plugins``
(the plugin system: hookspecs, manager, the dataclasses plugins return). Imports only for type
checking (under ``if TYPE_CHECKING:``) are not imports at run time and are allowed too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import lms

CORE = Path(lms.__file__).parent / "core"
ALLOWED = ("lms.core", "lms.db", "lms.extensions", "lms.config", "lms.plugins")


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "lms":  # from lms import db
                found.extend((node.lineno, f"lms.{alias.name}") for alias in node.names)
            else:
                found.append((node.lineno, node.module))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def forbidden(tree: ast.AST) -> list[str]:
    return [
        f"line {line}: {name}"
        for line, name in imported_modules(tree)
        if (name == "lms" or name.startswith("lms.") or name == "plugins" or name.startswith("plugins."))
        and not any(name == ok or name.startswith(ok + ".") for ok in ALLOWED)
    ]


@pytest.mark.parametrize("path", sorted(CORE.glob("*.py")), ids=lambda p: p.name)
def test_core_module_imports_no_domain_package(path: Path) -> None:
    bad = forbidden(ast.parse(path.read_text(encoding="utf-8")))
    assert not bad, f"lms/core/{path.name} imports a domain package: " + "; ".join(bad)


def test_the_walk_finds_a_domain_import_wherever_it_hides() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "from lms import db\n"
        "if TYPE_CHECKING:\n    from lms.users.models import User\n"
        "def f():\n    from lms.cohorts.models import Cohort\n"
        "import lms.grading.services\n"
        "from lms import results\n"
    )
    assert forbidden(ast.parse(source)) == [
        "line 6: lms.cohorts.models",
        "line 7: lms.grading.services",
        "line 8: lms.results",
    ]
