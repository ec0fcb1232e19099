"""World-builders: fixtures that return callables (``make_user(role=...)``), shared by every test.

Each builder commits in the test's ``session``; under the shared-schema fixture that commit only
releases a SAVEPOINT, so what a test builds is gone after it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from lms.auth.services import set_password
from lms.cohorts.models import CohortStatus, Membership, Program, Role
from lms.cohorts.services import save_cohort
from lms.users.models import ParticipantProfile, User
from tests.support import FAST_HASH, PASSWORD, make_nip


@pytest.fixture
def make_user(session: Any) -> Callable[..., Any]:
    counter = iter(range(1, 100000))

    def make(
        name: str | None = None,
        email: str | None = None,
        *,
        password: str | None = PASSWORD,
        is_admin: bool = False,
        is_manager: bool = False,
        nip: str | None = None,
        active: bool = True,
        **profile: Any,
    ) -> User:
        n = next(counter)
        user = User(
            email=email or f"user{n}@example.go.id",
            name=name or f"User {n}",
            is_admin=is_admin,
            is_manager=is_manager,
            active=active,
        )
        if password:
            set_password(user, password, FAST_HASH)
        if nip or profile:
            user.profile = ParticipantProfile(nip=nip or make_nip(n), **profile)
        session.add(user)
        session.commit()
        return user

    return make


@pytest.fixture
def make_cohort(session: Any, make_user: Callable[..., Any]) -> Callable[..., Any]:
    def make(
        *,
        participants: int = 0,
        instructors: int = 0,
        coordinator: Any = None,
        status: CohortStatus = CohortStatus.RUNNING,
        program: Any = None,
        name: str | None = None,
    ) -> Any:
        if program is None:
            program = session.query(Program).filter_by(code="PKA").one_or_none()
            if program is None:
                program = Program(code="PKA", name="Pelatihan Kepemimpinan Administrator")
                session.add(program)
                session.flush()
        coordinator = coordinator or make_user(name="Koordinator")
        cohort = save_cohort(
            session,
            None,
            program=program,
            actor=coordinator,
            name=name or f"Angkatan {len(program.cohorts) + 1}",
            year=2026,
            start_date=date(2026, 8, 3),
            end_date=date(2026, 11, 20),
            status=CohortStatus.RUNNING,
        )
        cohort.people = {"coordinator": coordinator, "participants": [], "instructors": []}
        for _ in range(participants):
            person = make_user(instansi="Pemprov Kalteng")
            session.add(Membership(cohort=cohort, user=person, role=Role.PARTICIPANT))
            cohort.people["participants"].append(person)
        for _ in range(instructors):
            person = make_user(name="Widyaiswara")
            session.add(Membership(cohort=cohort, user=person, role=Role.INSTRUCTOR))
            cohort.people["instructors"].append(person)
        cohort.status = status
        session.commit()
        return cohort

    return make
