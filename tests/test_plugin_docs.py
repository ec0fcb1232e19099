"""docs/plugins.md's hook table names every hook of lms/plugins/hookspecs.py, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

from lms.plugins import hookspecs

DOC = Path(__file__).resolve().parent.parent / "docs" / "plugins.md"


def test_the_hook_table_names_every_hookspec():
    specs = {name for name in dir(hookspecs) if name.startswith("lms_")}
    table = set(re.findall(r"^\| `(lms_[a-z_]+)\(", DOC.read_text(encoding="utf-8"), flags=re.M))
    assert table == specs, f"missing from docs/plugins.md: {sorted(specs - table)}; not hooks: {sorted(table - specs)}"
