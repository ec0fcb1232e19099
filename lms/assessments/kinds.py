"""The kinds of submission: the core's reflection plus what plugins add via lms_submission_kinds."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from lms.plugins.manager import get_plugin_manager
from lms.plugins.types import SubmissionKind

REFLECTION_KIND = SubmissionKind(
    key="reflection",
    label=_l("Reflection"),
    write_endpoint="assessments.write",
    template="assessments/_reflection.html",
)


def all_kinds() -> dict[str, SubmissionKind]:
    kinds = {REFLECTION_KIND.key: REFLECTION_KIND}
    for contributed in get_plugin_manager(current_app).hook.lms_submission_kinds():
        for kind in contributed or []:
            kinds[kind.key] = kind
    return kinds


def kind_of(key: str) -> SubmissionKind:
    return all_kinds().get(key, REFLECTION_KIND)


def titles(session: Session, submissions: Iterable[Any]) -> dict[int, str]:
    """Each submission's own name, where its kind gives one (``SubmissionKind.titles``): one query
    per kind present, whatever the number of submissions. ``submissions`` have ``id`` and
    ``assessment.kind`` (or pairs of id and kind key)."""
    by_kind: dict[str, list[int]] = {}
    for item in submissions:
        submission_id, key = item if isinstance(item, tuple) else (item.id, item.assessment.kind)
        by_kind.setdefault(key, []).append(submission_id)
    kinds = all_kinds()
    named: dict[int, str] = {}
    for key, ids in by_kind.items():
        kind = kinds.get(key)
        if kind is not None and kind.titles is not None:
            named.update({i: t for i, t in kind.titles(session, ids).items() if t})
    return named


def shown(session: Session, kind: SubmissionKind, submission_ids: list[int]) -> Mapping[int, Any]:
    """What ``kind``'s template shows for each submission, loaded at once by the kind's batch loader."""
    if kind.load is None or not submission_ids:
        return {}
    return kind.load(session, submission_ids)
