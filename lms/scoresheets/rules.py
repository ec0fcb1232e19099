"""Who may see and enter staff-entered scores: the cohort's staff; sheets are set up and audited by
its coordinators. A peserta never sees the grid (their result shows on their results sheet)."""

from __future__ import annotations

from typing import Any

from lms.core.access import Rule, Rules, can
from lms.plugins import hookimpl

rules = Rules()


@rules.rule("scoresheet.enter")
def _enter(user: Any, sheet: Any) -> bool:
    """The grid and its worksheet: the cohort's widyaiswara and coordinators (and admins)."""
    return can(user, "cohort.teach", sheet.cohort)


@rules.rule("scoresheet.manage")
def _manage(user: Any, sheet: Any) -> bool:
    """Changing the sheet itself and reading its audit trail: the cohort's coordinators (and admins)."""
    return can(user, "cohort.manage", sheet.cohort)


@hookimpl
def lms_access_rules() -> list[Rule]:
    return list(rules)
