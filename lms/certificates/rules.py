"""Who may set up, issue, read and revoke certificates; the verification page is public."""

from __future__ import annotations

from typing import Any

from lms.cohorts.models import Role
from lms.cohorts.rules import roles_in
from lms.core.access import Rule, Rules, can
from lms.plugins import hookimpl

rules = Rules()


@rules.rule("certificate.template")
def _edit_template(user: Any, program: Any) -> bool:
    """A program's certificate template: whoever may edit the program."""
    return can(user, "program.edit", program)


@rules.rule("certificates.view")
def _view_certificates(user: Any, cohort: Any) -> bool:
    """The cohort's certificate list: its widyaiswara and coordinators, admins."""
    return can(user, "cohort.teach", cohort)


@rules.rule("certificates.issue")
def _issue_certificates(user: Any, cohort: Any) -> bool:
    """Generating the cohort's certificates: its coordinators (penyelenggara) and admins."""
    return can(user, "cohort.manage", cohort)


@rules.rule("certificate.download")
def _download_certificate(user: Any, certificate: Any) -> bool:
    """One certificate's PDF: its peserta while it is valid, and the cohort's staff."""
    own = certificate.participant_id == user.id and certificate.is_valid
    return own or can(user, "cohort.teach", certificate.cohort)


@rules.rule("certificate.revoke")
def _revoke_certificate(user: Any, certificate: Any) -> bool:
    """Revoking: the cohort's coordinators (penyelenggara) and admins, never a peserta of it."""
    return can(user, "cohort.manage", certificate.cohort)


@rules.rule("certificate.own")
def _own_certificate(user: Any, cohort: Any) -> bool:
    """A peserta's own certificate page in a cohort they take part in."""
    return Role.PARTICIPANT in roles_in(user, cohort)


@hookimpl
def lms_access_rules() -> list[Rule]:
    return list(rules)
