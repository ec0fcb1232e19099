"""The kinds of notification: the core's own plus what plugins add through ``lms_notification_kinds``."""

from __future__ import annotations

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l

from lms.plugins.manager import get_plugin_manager
from lms.plugins.types import NotificationKind

GRADE_RELEASED = "grade_released"
WORK_RETURNED = "work_returned"
EXTENSION_GRANTED = "extension_granted"
DEADLINE_3D = "deadline_3d"
DEADLINE_1D = "deadline_1d"
WORK_SUBMITTED = "work_submitted"
LATE_SUBMISSION = "late_submission"
ROSTER_IMPORTED = "roster_imported"
EXPORT_READY = "export_ready"
SUBMISSION_REMINDER = "submission_reminder"

# Events a plugin kind may take over for its own kind of work (NotificationKind.replaces).
DEADLINE_EVENT = "deadline"

CORE_KINDS = (
    NotificationKind(
        key=GRADE_RELEASED,
        label=_l("Grade released"),
        order=10,
        numbers=("score",),
        message=_l("Your grade for %(assessment)s is released: %(score)s. Open it to read the feedback."),
    ),
    NotificationKind(
        key=WORK_RETURNED,
        label=_l("Work returned for revision"),
        order=11,
        detail="note",
        message=_l("%(actor)s returned your work for %(assessment)s for revision."),
    ),
    NotificationKind(
        key=EXTENSION_GRANTED,
        label=_l("Extension granted or changed"),
        order=12,
        times=("cutoff",),
        message=_l("You have an extension for %(assessment)s: you can submit until %(cutoff)s."),
    ),
    NotificationKind(
        key=DEADLINE_3D,
        label=_l("Deadline in 3 days"),
        order=13,
        times=("due",),
        message=_l("%(assessment)s is due in 3 days (%(due)s) and you have not submitted it yet."),
    ),
    NotificationKind(
        key=DEADLINE_1D,
        label=_l("Deadline tomorrow"),
        order=14,
        times=("due",),
        message=_l("%(assessment)s is due within a day (%(due)s) and you have not submitted it yet."),
    ),
    NotificationKind(
        key=SUBMISSION_REMINDER,
        label=_l("Reminder to submit"),
        order=15,
        message=_l("%(actor)s reminds you to submit %(assessment)s (%(cohort)s): nothing is handed in yet."),
    ),
    NotificationKind(
        key=WORK_SUBMITTED,
        label=_l("Work submitted to grade"),
        audience="staff",
        default="digest",
        order=60,
        message=_l("%(participant)s submitted %(assessment)s (%(cohort)s)."),
    ),
    NotificationKind(
        key=LATE_SUBMISSION,
        label=_l("Late submission"),
        audience="staff",
        order=61,
        times=("due",),
        message=_l("%(participant)s submitted %(assessment)s late (due %(due)s, %(cohort)s)."),
    ),
    # Roster import and export: inbox only unless chosen; whoever started them usually watches the page.
    NotificationKind(
        key=ROSTER_IMPORTED,
        label=_l("Roster import finished"),
        audience="staff",
        default="off",
        order=62,
        message=_l(
            "The roster import for %(cohort)s is finished: %(created)s new accounts, %(enrolled)s enrolled, "
            "%(updated)s updated."
        ),
    ),
    NotificationKind(
        key=EXPORT_READY,
        label=_l("Export ready"),
        audience="staff",
        default="off",
        order=63,
        message=_l("Your export %(name)s is ready to download."),
    ),
)


def all_kinds(app: Flask | None = None) -> dict[str, NotificationKind]:
    """Every kind by key, the core's first; a plugin kind reusing a key is a start-up-time error."""

    app = app or current_app
    cached = app.extensions.get("lms.notification_kinds")
    if cached is not None:
        return cached
    kinds = {kind.key: kind for kind in CORE_KINDS}
    for contributed in get_plugin_manager(app).hook.lms_notification_kinds():
        for kind in contributed or []:
            if kind.key in kinds:
                raise RuntimeError(f"notification kind {kind.key!r} is declared twice")
            if kind.default not in {"immediate", "digest", "off"}:
                raise RuntimeError(f"notification kind {kind.key!r} has an unknown default {kind.default!r}")
            kinds[kind.key] = kind
    app.extensions["lms.notification_kinds"] = kinds
    return kinds


def kind_for(event: str, submission_kind: str, app: Flask | None = None) -> NotificationKind | None:
    """The plugin kind that takes over ``event`` for work of ``submission_kind``, if any."""
    for kind in all_kinds(app).values():
        if kind.replaces == (event, submission_kind):
            return kind
    return None
