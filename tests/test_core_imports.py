"""lms/core is the engine every package uses, so it imports no domain package: a walk over its
imports (top-level and inside functions) fails for any ``lms.<package>`` outside the allowed set.

Allowed: ``lms.core`` itself and the plumbing beneath every package — ``lms.db`` (engine, session,
base), ``lms.extensions`` (unbound Flask extensions), ``lms.config`` (settings) and ``lms.plugins``
(the plugin system: hookspecs, manager, the dataclasses plugins return). Imports only for type
checking (under ``if TYPE_CHECKING:``) are not imports at run time and are allowed too.

The same walk proves that no module imports inside a function but the app factory and the CLI
(ruff's PLC0415 says so too, but a ``noqa`` silences ruff, not this test), and that WeasyPrint is
imported by the factory's loader only, when the first PDF is made (lms.core.pdf).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
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


# -- no function-level imports outside the app factory and the CLI (issue 11) ----------------------

ROOT = Path(lms.__file__).parent.parent
WIRING = {"lms/app.py", "lms/cli.py"}  # they wire every package together, late on purpose


def function_level_imports(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, module) of every import inside a function or method body, however deeply nested."""
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST, inside: bool) -> None:
        if inside and isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif inside and isinstance(node, ast.ImportFrom):
            found.append((node.lineno, "." * node.level + (node.module or "")))
        for child in ast.iter_child_nodes(node):
            visit(child, inside or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda))

    visit(tree, False)
    return found


def application_modules() -> list[Path]:
    """lms/ and plugins/, without tests and migrations (tools, like bench/ and deploy/)."""
    paths = list((ROOT / "lms").rglob("*.py")) + list((ROOT / "plugins").rglob("*.py"))
    return sorted(
        p for p in paths if not {"tests", "migrations"} & set(p.relative_to(ROOT).parts) and ".venv" not in p.parts
    )


def test_no_function_level_imports_outside_the_factory_and_the_cli() -> None:
    bad = []
    for path in application_modules():
        name = path.relative_to(ROOT).as_posix()
        source = path.read_text(encoding="utf-8")
        if "PLC0415" in source:
            bad.append(f"{name}: silences PLC0415")
        if name not in WIRING:
            bad += [f"{name}:{line} imports {module}" for line, module in function_level_imports(ast.parse(source))]
    assert not bad, "imports belong at module top (lms/app.py and lms/cli.py excepted):\n" + "\n".join(bad)


def test_the_import_walk_finds_imports_in_nested_functions() -> None:
    source = (
        "import os\n"
        "class A:\n    def m(self):\n        import json\n"
        "def f():\n    def g():\n        from weasyprint import HTML\n    return g\n"
        "if os:\n    import sys\n"
    )
    assert function_level_imports(ast.parse(source)) == [(4, "json"), (7, "weasyprint")]


def test_only_the_factory_imports_weasyprint_and_starting_the_app_does_not(tmp_path: Path) -> None:
    """WeasyPrint is loaded by the PDF renderer on the first PDF, through the factory's loader."""
    importers = [
        path.relative_to(ROOT).as_posix()
        for path in application_modules()
        if any(m.split(".")[0] == "weasyprint" for _l, m in imported_modules(ast.parse(path.read_text("utf-8"))))
    ]
    assert importers == ["lms/app.py"]
    script = (
        "import sys\nfrom lms.app import create_app\n"
        f"app = create_app({{'DATABASE_URL': 'sqlite:///{tmp_path}/x.sqlite3', 'JOBS_SQLITE_PATH': '{tmp_path}/j.sqlite3'}})\n"
        "assert 'weasyprint' not in sys.modules, 'weasyprint imported at start-up'\n"
        "from lms.core.pdf import renderer\n"
        "assert not renderer(app).loaded\n"
        "with app.app_context():\n"
        "    pdf = renderer(app).render('<p>Halo</p>')\n"
        "assert pdf.startswith(b'%PDF') and 'weasyprint' in sys.modules\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "LMS_ENV": "testing"},
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
