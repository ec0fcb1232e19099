"""The benchmarking plugin's access rules, registered in the core's one registry
(:mod:`lms.core.access`) so that every decision is still looked up there by name."""

from __future__ import annotations

from typing import Any

from lms.cohorts.models import Role
from lms.core import access


@access.register("benchmarking.hosts.view")
def _view_hosts(user: Any, obj: Any) -> bool:
    """The host catalogue: staff of any cohort, program managers and admins."""
    return bool(user.is_admin or user.is_manager or access.cohort_ids_with(user, Role.INSTRUCTOR, Role.COORDINATOR))


@access.register("benchmarking.hosts.manage")
def _manage_hosts(user: Any, obj: Any) -> bool:
    """Coordinators of any cohort curate the shared catalogue."""
    return bool(user.is_admin or user.is_manager or access.cohort_ids_with(user, Role.COORDINATOR))


@access.register("benchmarking.visit.view")
def _view_visit(user: Any, visit: Any) -> bool:
    return access.can(user, "cohort.view", visit.cohort)


@access.register("benchmarking.visit.manage")
def _manage_visit(user: Any, visit: Any) -> bool:
    return access.can(user, "cohort.edit", visit.cohort)


@access.register("benchmarking.participant")
def _is_participant(user: Any, obj: Any) -> bool:
    """Someone who takes part in at least one cohort (the 'my visits' page)."""
    return bool(access.cohort_ids_with(user, Role.PARTICIPANT))
