"""Who may see a job: the person who started it, and nobody else (its file holds NIPs and scores)."""

from __future__ import annotations

from typing import Any

from lms.core.access import Rule, Rules
from lms.plugins import hookimpl

rules = Rules()


@rules.rule("job.own")
def _own_job(user: Any, job: Any) -> bool:
    return job.owner_id == user.id


@hookimpl
def lms_access_rules() -> list[Rule]:
    return list(rules)
