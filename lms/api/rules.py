"""Who may use the API: a valid token's user; who may revoke a token."""

from __future__ import annotations

from typing import Any

from lms.core.access import Rule, Rules
from lms.plugins import hookimpl

rules = Rules()


@rules.rule("api.token")
def _api_token(user: Any, obj: Any) -> bool:
    """Any user authenticated by a valid, unrevoked API token (read-only endpoints of /api/v1)."""
    return True


@rules.rule("api.token.own")
def _own_api_token(user: Any, token: Any) -> bool:
    """Revoking a token: its owner, and admins (e.g. for a leaked token)."""
    return bool(user.is_admin or token.user_id == user.id)


@hookimpl
def lms_access_rules() -> list[Rule]:
    return list(rules)
