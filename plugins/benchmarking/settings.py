"""What a program sets for its field visits: the activity's name and the defaults of a new visit.

The settings live in the plugin's own table (``benchmarking_program_settings``), one row per program
that changed anything; a program without a row gets :data:`DEFAULTS`, what a PKA program expects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.cohorts.models import Cohort, Program
from lms.core.errors import DomainError
from plugins.benchmarking.models import FieldVisit, ProgramSettings

# The names programs give the activity: Studi Lapangan (PKA and PKP since 2019), Benchmarking
# (Diklatpim 2013–2019), Benchlearning. A program may type another.
ACTIVITY_NAMES = ("Studi Lapangan", "Benchmarking", "Benchlearning")
MAX_MIN_PRACTICES = 20


@dataclass(frozen=True)
class Settings:
    activity_name: str = ACTIVITY_NAMES[0]
    min_practices: int = 3
    plan_graded: bool = False


DEFAULTS = Settings()


def of_program(session: Session, program_id: int | None) -> Settings:
    """The program's settings, the PKA defaults for anything it never set (one query, cached per request)."""
    if program_id is None:
        return DEFAULTS
    cache: dict[int, Settings] | None = g.setdefault("_benchmarking_settings", {}) if has_request_context() else None
    if cache is not None and program_id in cache:
        return cache[program_id]
    row = session.get(ProgramSettings, program_id)
    found = (
        Settings(activity_name=row.activity_name, min_practices=row.min_practices, plan_graded=row.plan_graded)
        if row
        else DEFAULTS
    )
    if cache is not None:
        cache[program_id] = found
    return found


def _program_id(obj: Any) -> int | None:
    if isinstance(obj, Program):
        return obj.id
    if isinstance(obj, Cohort):
        return obj.program_id
    if isinstance(obj, FieldVisit):
        return obj.cohort.program_id
    return None


def activity_name(session: Session, obj: Any) -> str:
    """What ``obj``'s program calls the field visit (``obj``: a program, cohort or visit; anything
    else gets the default, "Studi Lapangan")."""
    return of_program(session, _program_id(obj)).activity_name


def save(
    session: Session, program: Program, *, activity_name: str, min_practices: int, plan_graded: bool
) -> ProgramSettings:
    """Set a program's visit settings; a blank name or a minimum outside 1–20 is refused."""
    name = " ".join(activity_name.split())
    if not name:
        raise DomainError(_l("Name the activity, for example Studi Lapangan."), field="activity_name")
    if len(name) > 60:
        raise DomainError(_l("The activity's name is at most 60 characters."), field="activity_name")
    if not 1 <= min_practices <= MAX_MIN_PRACTICES:
        raise DomainError(
            _l("The minimum number of practices lies between 1 and %(n)s.", n=MAX_MIN_PRACTICES),
            field="min_practices",
        )
    row = session.get(ProgramSettings, program.id)
    if row is None:
        row = ProgramSettings(program_id=program.id)
        session.add(row)
    row.activity_name, row.min_practices, row.plan_graded = name, min_practices, plan_graded
    session.flush()
    if has_request_context():
        g.pop("_benchmarking_settings", None)
    return row


def names_by_program(session: Session, program_ids: list[int]) -> dict[int, str]:
    """The activity's name for each program (one query; the default where a program set none)."""
    found = dict(
        session.execute(
            select(ProgramSettings.program_id, ProgramSettings.activity_name).where(
                ProgramSettings.program_id.in_(program_ids)
            )
        ).all()
    )
    return {pid: found.get(pid, DEFAULTS.activity_name) for pid in program_ids}
