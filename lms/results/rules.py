"""Who may do what to a cohort's final result: its definition, the work tagged to it, and the
penyelenggara's disciplinary decisions."""

from __future__ import annotations

from typing import Any

from lms import db
from lms.cohorts.models import Cohort
from lms.core.access import can, register


@register("results.decision.edit")
def _edit_decision(user: Any, decision: Any) -> bool:
    """Withdrawing a disciplinary decision: whoever runs its cohort (coordinators, admins), while open."""
    cohort = db.session.get(Cohort, decision.cohort_id)
    return cohort is not None and can(user, "cohort.edit", cohort)
