"""The menu: core entries plus what enabled plugins contribute through ``lms_nav_items``."""

from __future__ import annotations

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms.core.access import can
from lms.plugins.types import NavItem


def _core_items() -> list[NavItem]:
    return [
        NavItem(label=_l("Dashboard"), endpoint="home.dashboard", order=0),
        NavItem(label=_l("Programs"), endpoint="cohorts.programs", order=10, rule="programs.view"),
        NavItem(label=_l("Rubrics"), endpoint="rubrics.library", order=40, rule="rubrics.library"),
        NavItem(label=_l("My assessments"), endpoint="assessments.mine", order=15, rule="participant.any"),
        NavItem(label=_l("Grading"), endpoint="grading.queue", order=16, rule="grading.queue"),
        NavItem(label=_l("Users"), endpoint="users.index", order=90, rule="admin"),
    ]


def items_for() -> list[dict[str, object]]:
    """Menu entries the current user may open, in order, with the active one marked."""
    if not current_user.is_authenticated:
        return []
    from lms.plugins.manager import get_plugin_manager

    items = list(_core_items())
    for contributed in get_plugin_manager(current_app).hook.lms_nav_items(user=current_user):
        items.extend(contributed or [])
    visible = []
    for item in sorted(items, key=lambda i: (i.order, str(i.label))):
        if item.rule and not can(current_user, item.rule):
            continue
        blueprint = item.endpoint.split(".", 1)[0]
        visible.append({
            "label": item.label,
            "url": item.url(),
            "active": (request.endpoint or "").split(".", 1)[0] == blueprint,
        })
    return visible
