"""The menu: core entries plus what enabled plugins contribute through ``lms_nav_items``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import escape

from lms.core.access import can
from lms.core.i18n import kept_with, translations
from lms.plugins.manager import get_plugin_manager
from lms.plugins.types import NavItem

# A catalogue's attribute: the menu labels' texts in its language, by label object.
_LABELS = "_lms_nav_labels"


# Built once: the entries and their lazy labels are the same for every request.
_CORE_ITEMS = (
    NavItem(label=_l("Dashboard"), endpoint="home.dashboard", order=0),
    NavItem(label=_l("Programs"), endpoint="cohorts.programs", order=10, rule="programs.view"),
    NavItem(label=_l("Rubric library"), endpoint="rubrics.library", order=40, rule="rubrics.library"),
    NavItem(label=_l("My assessments"), endpoint="assessments.mine", order=15, rule="participant.any"),
    NavItem(label=_l("Grading"), endpoint="grading.queue", order=16, rule="grading.queue"),
    NavItem(label=_l("Users"), endpoint="users.index", order=90, rule="admin"),
)


@dataclass(slots=True)
class Entry:
    """One menu entry as the menu shows it (an object, not a dict: a template reads its fields
    directly, without the failed attribute look-up Jinja tries on a dict first)."""

    label: str
    url: str
    endpoint: str
    active: bool = False
    current: bool = False

    def __html__(self) -> str:
        """The entry's list item, written here rather than in the template: the menu is on every page."""
        active = " active" if self.active else ""
        current = ' aria-current="page"' if self.current else ""
        return (
            f'<li class="nav-item"><a class="nav-link{active}"{current} href="{escape(self.url)}">'
            f"{escape(self.label)}</a></li>"
        )


def _label(label: Any, kept: dict[int, tuple[Any, str]]) -> str:
    """A label's text in the request's language, kept with the catalogue for labels that live as
    long as the app (the core's, a plugin's constants): translating a lazy label is a chain of look-ups."""
    found = kept.get(id(label))
    if found is not None and found[0] is label:
        return found[1]
    text = str(label)
    kept[id(label)] = (label, text)
    return text


def items_for() -> list[Entry]:
    """Menu entries the current user may open, in order, with the active one marked."""
    if not current_user.is_authenticated:
        return []

    user = current_user._get_current_object()
    items = list(_CORE_ITEMS)
    for contributed in get_plugin_manager(current_app).hook.lms_nav_items(user=user):
        items.extend(contributed or [])
    kept = kept_with(translations(), _LABELS)
    # Each label is translated once (sorting and showing use the same text), for every page.
    labelled = sorted(((item.order, _label(item.label, kept), item) for item in items), key=lambda t: t[:2])
    visible = []
    for _order, label, item in labelled:
        if item.rule and not can(user, item.rule):
            continue
        visible.append(Entry(label, item.url(), item.endpoint))
    _mark_current(visible)
    return visible


def _mark_current(visible: list[Entry]) -> None:
    """Mark one entry at most: the page's own entry, else the section it lies under.

    The section is the entry whose address is the longest prefix of the page's path, else the one
    entry of the page's blueprint (two entries of one blueprint mark neither). Only the page's own
    entry carries ``aria-current`` (``current``), so no page ever has two.
    """
    endpoint = request.endpoint or ""
    exact = [item for item in visible if item.endpoint == endpoint]
    if exact:
        exact[0].active = exact[0].current = True
        return
    path = request.path
    prefixed = [item for item in visible if item.url != "/" and path.startswith(item.url.rstrip("/") + "/")]
    if prefixed:
        max(prefixed, key=lambda item: len(item.url)).active = True
        return
    blueprint = endpoint.split(".", 1)[0]
    same = [item for item in visible if item.endpoint.split(".", 1)[0] == blueprint]
    if len(same) == 1:
        same[0].active = True
