"""The benchmarking plugin's access rules, contributed through ``lms_access_rules`` to the apps that
enable the plugin; every decision is still looked up by name (:func:`lms.core.access.can`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from lms import db
from lms.assessments.models import Submission
from lms.cohorts.models import Cohort, Role
from lms.cohorts.rules import cohort_ids_with, roles_in
from lms.core import access
from lms.core.access import Rules
from plugins.benchmarking import seminar as seminar_services
from plugins.benchmarking.models import FieldVisit, Followup
from plugins.benchmarking.practices import published_attachment_ids

rules = Rules()


@rules.rule("benchmarking.hosts.view")
def _view_hosts(user: Any, obj: Any) -> bool:
    """The host catalogue: staff of any cohort, program managers and admins."""
    return bool(user.is_admin or user.is_manager or cohort_ids_with(user, Role.INSTRUCTOR, Role.COORDINATOR))


@rules.rule("benchmarking.hosts.manage")
def _manage_hosts(user: Any, obj: Any) -> bool:
    """Coordinators of any cohort add hosts to the shared catalogue (changing one: ``benchmarking.host.edit``)."""
    return bool(user.is_admin or user.is_manager or cohort_ids_with(user, Role.COORDINATOR))


@rules.rule("benchmarking.host.edit")
def _edit_host(user: Any, host: Any) -> bool:
    """Changing, archiving or deleting a host: admins; a coordinator when every visit to the host is
    in a cohort they coordinate, or, before any visit uses it, when they added it.

    A host shared by several coordinators' cohorts is edited by an admin: one coordinator's edit
    (its contact, or archiving it) must not reach another's visits, and scheduling a visit to a host
    gives no right to edit it.
    """
    if user.is_admin:
        return True

    cohort_ids = set(db.session.scalars(select(FieldVisit.cohort_id).where(FieldVisit.host_id == host.id)))
    if not cohort_ids:
        return host.created_by_id is not None and host.created_by_id == user.id and _manage_hosts(user, None)
    return cohort_ids <= cohort_ids_with(user, Role.COORDINATOR)


@rules.rule("benchmarking.visit.view")
def _view_visit(user: Any, visit: Any) -> bool:
    return access.can(user, "cohort.view", visit.cohort)


@rules.rule("benchmarking.visit.manage")
def _manage_visit(user: Any, visit: Any) -> bool:
    return access.can(user, "cohort.edit", visit.cohort)


@rules.rule("benchmarking.lokus.view")
def _view_lokus(user: Any, lokus: Any) -> bool:
    """A lokus and its briefing document: whoever sees its visit."""
    return access.can(user, "cohort.view", lokus.visit.cohort)


@rules.rule("benchmarking.lokus.manage")
def _manage_lokus(user: Any, lokus: Any) -> bool:
    return access.can(user, "cohort.edit", lokus.visit.cohort)


@rules.rule("benchmarking.participant")
def _is_participant(user: Any, obj: Any) -> bool:
    """Someone who takes part in at least one cohort (the 'my visits' page)."""
    return bool(cohort_ids_with(user, Role.PARTICIPANT))


def _practice_cohort(practice: Any) -> Any:
    return practice.visit.cohort


def _handed_in(practice: Any) -> bool:
    return db.session.scalar(select(Submission.state).where(Submission.id == practice.submission_id)) != "draft"


@rules.rule("benchmarking.visit.log")
def _log_practices(user: Any, visit: Any) -> bool:
    """Logging practices for a visit: the participants of its cohort."""
    return Role.PARTICIPANT in roles_in(user, visit.cohort_id)


@rules.rule("benchmarking.visit.funnel")
def _visit_funnel(user: Any, visit: Any) -> bool:
    return access.can(user, "cohort.teach", visit.cohort)


def _sees_the_work(user: Any, practice: Any) -> bool:
    """The practice itself (not its published copy): its author, and its cohort's staff once handed in."""
    if practice.participant_id == user.id:
        return True
    return _handed_in(practice) and access.can(user, "cohort.teach", _practice_cohort(practice))


@rules.rule("benchmarking.practice.view")
def _view_practice(user: Any, practice: Any) -> bool:
    """Its author; the staff of its cohort once it is handed in; anyone once it is published (who
    then sees the published copy only)."""
    return bool(practice.published) or _sees_the_work(user, practice)


@rules.rule("benchmarking.practice.edit")
def _edit_practice(user: Any, practice: Any) -> bool:
    return practice.participant_id == user.id


@rules.rule("benchmarking.practice.publish")
def _publish_practice(user: Any, practice: Any) -> bool:
    """The cohort's coordinators, for a practice handed in: a draft is its author's alone and is never
    put in the catalogue (one that is already there may still be taken out)."""
    return (_handed_in(practice) or practice.published) and access.can(
        user, "cohort.manage", _practice_cohort(practice)
    )


@rules.rule("benchmarking.attachment.view")
def _view_attachment(user: Any, attachment: Any) -> bool:
    if attachment.owner_id == user.id:
        return True
    practice = attachment.practice
    if practice is None:
        followup = db.session.get(Followup, attachment.followup_id)
        practice = followup.practice if followup else None
        return practice is not None and _sees_the_work(user, practice)
    if _sees_the_work(user, practice):
        return True
    # Through the catalogue: only files the author agreed to share with the published copy.

    return attachment.id in published_attachment_ids(practice)


@rules.rule("benchmarking.attachment.delete")
def _delete_attachment(user: Any, attachment: Any) -> bool:
    return attachment.owner_id == user.id


@rules.rule("benchmarking.followups.manage")
def _manage_followups(user: Any, cohort: Any) -> bool:
    """Follow-up rounds: the cohort's coordinators, also after the cohort is closed."""
    return access.can(user, "cohort.manage", cohort)


@rules.rule("benchmarking.round.staff")
def _round_staff(user: Any, round_: Any) -> bool:
    return access.can(user, "cohort.teach", db.session.get(Cohort, round_.cohort_id))


@rules.rule("benchmarking.round.mentors")
def _round_mentors(user: Any, round_: Any) -> bool:
    """Inviting a peserta's mentor for a round on their behalf: the cohort's coordinators."""
    return access.can(user, "cohort.manage", db.session.get(Cohort, round_.cohort_id))


@rules.rule("benchmarking.round.report")
def _round_report(user: Any, round_: Any) -> bool:
    return Role.PARTICIPANT in roles_in(user, round_.cohort_id)


@rules.rule("benchmarking.followup.confirm")
def _confirm_followup(user: Any, followup: Any) -> bool:
    return followup.practice.participant_id != user.id and access.can(
        user, "cohort.teach", _practice_cohort(followup.practice)
    )


@rules.rule("benchmarking.followup.evidence")
def _followup_evidence(user: Any, followup: Any) -> bool:
    """Evidence files of a follow-up report: its author only (the round must be open: evidence.py)."""
    return bool(followup.practice.participant_id == user.id)


@rules.rule("benchmarking.group.member")
def _group_member(user: Any, group: Any) -> bool:
    """A group's report: its members, and the staff of the cohort."""
    return user.id in {m.user_id for m in group.members} or access.can(user, "cohort.teach", group.visit.cohort)


@rules.rule("benchmarking.group.adjust")
def _adjust_group(user: Any, group: Any) -> bool:
    return access.can(user, "cohort.teach", group.visit.cohort) and not group.visit.cohort.is_closed


def implementation_scope(user: Any, host: Any) -> set[int] | None:
    """The cohorts whose implementation at ``host`` the user may count: None for every cohort (admins
    and program managers: programs report these numbers upward across years), the host's cohorts
    the user coordinates for a coordinator, an empty set for anyone else.

    Decision (issue 16): instructors and peserta do not see a host's implementation across cohorts;
    a coordinator sees the cohorts they run and no other program's; the per-practice list reads
    published copies only (as the catalogue), within the same scope.
    """
    if user.is_admin or user.is_manager:
        return None
    coordinated = cohort_ids_with(user, Role.COORDINATOR)
    if not coordinated:
        return set()
    visited = set(db.session.scalars(select(FieldVisit.cohort_id).where(FieldVisit.host_id == host.id)))
    return visited & coordinated


@rules.rule("benchmarking.host.implementation")
def _host_implementation(user: Any, host: Any) -> bool:
    """A host's implementation page, its CSV and its API: admins, program managers, and coordinators
    of a cohort that visited it (who then see their own cohorts only; :func:`implementation_scope`)."""
    scope = implementation_scope(user, host)
    return scope is None or bool(scope)


@rules.rule("benchmarking.seminar.manage")
def _manage_seminar(user: Any, seminar: Any) -> bool:
    """A seminar session: scheduled and its panel chosen by those who edit the cohort."""
    return access.can(user, "cohort.edit", seminar.visit.cohort)


@rules.rule("benchmarking.seminar.score")
def _score_seminar(user: Any, seminar: Any) -> bool:
    """Scoring a session's groups: the members of its panel only (staff the penyelenggara put on it;
    a peserta of the cohort never, even if named)."""
    if Role.PARTICIPANT in roles_in(user, seminar.visit.cohort_id):
        return False
    return seminar_services.is_panelist(db.session, seminar.id, user.id)


@rules.rule("benchmarking.panel")
def _panel(user: Any, obj: Any) -> bool:
    """The page of one's own panel sessions: staff of any cohort."""
    return bool(user.is_admin or cohort_ids_with(user, Role.INSTRUCTOR, Role.COORDINATOR))
