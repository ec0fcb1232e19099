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
# True while a test runs on the shared schema's one connection (see tests/fixtures.py).
SHARED_CONNECTION = False


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


def race(*calls: Any) -> list[Any]:
    """Run the callables at the same moment, one thread each behind a barrier; their results in order.

    Each callable must use its own test client (so its own request context and database session);
    an exception in a thread is raised here, so a 500 that propagates fails the test.
    """
    import threading

    if SHARED_CONNECTION:
        raise RuntimeError("race() needs commits other connections see: mark the test @pytest.mark.real_database")
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Any) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except BaseException as exc:  # noqa: BLE001 - handed to the test's thread below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results
