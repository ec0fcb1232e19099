"""Helpers the tests import (fixtures are in fixtures.py)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

PG_URL = os.environ.get("LMS_TEST_DATABASE_URL", "")
FAST_HASH = "scrypt:1024:8:1"
PASSWORD = "rahasia-123"


def make_nip(n: int, sex: str = "1") -> str:
    """A valid NIP for the n-th test person."""
    return f"1980{1 + n % 12:02d}{1 + n % 28:02d}2005{1 + n % 12:02d}{sex}{n % 1000 or 1:03d}"


def login(client: Any, user: Any, password: str = PASSWORD) -> Any:
    response = client.post("/login", data={"email": user.email, "password": password}, follow_redirects=False)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


@contextmanager
def count_queries(app: Any) -> Iterator[list[str]]:
    """Collect the SQL statements the block runs on the app's engine."""
    statements: list[str] = []
    engine = app.extensions["lms.db"].engine

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not re.match(r"\s*(SAVEPOINT|RELEASE|ROLLBACK|PRAGMA)", statement, re.I):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)
