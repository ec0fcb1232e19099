"""The menu: core entries plus what enabled plugins contribute through ``lms_nav_items``."""

from __future__ import annotations

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms.core.access import can
from lms.plugins.manager import get_plugin_manager
from lms.plugins.types import NavItem


def _core_items() -> list[NavItem]:
    return [
        NavItem(label=_l("Dashboard"), endpoint="home.dashboard", order=0),
        NavItem(label=_l("Programs"), endpoint="cohorts.programs", order=10, rule="programs.view"),
        NavItem(label=_l("Rubric library"), endpoint="rubrics.library", order=40, rule="rubrics.library"),
        NavItem(label=_l("My assessments"), endpoint="assessments.mine", order=15, rule="participant.any"),
        NavItem(label=_l("Grading"), endpoint="grading.queue", order=16, rule="grading.queue"),
        NavItem(label=_l("Users"), endpoint="users.index", order=90, rule="admin"),
    ]


def items_for() -> list[dict[str, object]]:
    """Menu entries the current user may open, in order, with the active one marked."""
    if not current_user.is_authenticated:
        return []

    user = current_user._get_current_object()
    items = list(_core_items())
    for contributed in get_plugin_manager(current_app).hook.lms_nav_items(user=user):
        items.extend(contributed or [])
    # Each label is translated once (sorting and showing use the same text), for every page.
    labelled = sorted(((item.order, str(item.label), item) for item in items), key=lambda t: t[:2])
    visible = []
    for _order, label, item in labelled:
        if item.rule and not can(user, item.rule):
            continue
        visible.append(
            {"label": label, "url": item.url(), "endpoint": item.endpoint, "active": False, "current": False}
        )
    _mark_current(visible)
    return visible


def _mark_current(visible: list[dict[str, object]]) -> None:
    """Mark one entry at most: the page's own entry, else the section it lies under.

    The section is the entry whose address is the longest prefix of the page's path, else the one
    entry of the page's blueprint (two entries of one blueprint mark neither). Only the page's own
    entry carries ``aria-current`` (``current``), so no page ever has two.
    """
    endpoint = request.endpoint or ""
    exact = [item for item in visible if item["endpoint"] == endpoint]
    if exact:
        exact[0]["active"] = exact[0]["current"] = True
        return
    path = request.path
    prefixed = [
        item for item in visible if str(item["url"]) != "/" and path.startswith(str(item["url"]).rstrip("/") + "/")
    ]
    if prefixed:
        max(prefixed, key=lambda item: len(str(item["url"])))["active"] = True
        return
    blueprint = endpoint.split(".", 1)[0]
    same = [item for item in visible if str(item["endpoint"]).split(".", 1)[0] == blueprint]
    if len(same) == 1:
        same[0]["active"] = True
