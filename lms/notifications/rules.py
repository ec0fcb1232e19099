"""Who may read and change notifications: only their recipient."""

from __future__ import annotations

from typing import Any

from lms.core.access import Rule, Rules
from lms.plugins import hookimpl

rules = Rules()


@rules.rule("notification.own")
def _own_notification(user: Any, notification: Any) -> bool:
    return notification.recipient_id == user.id


@hookimpl
def lms_access_rules() -> list[Rule]:
    return list(rules)
