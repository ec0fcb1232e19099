"""How long a large roster takes to preview and import, and in how many SQL queries.

    LMS_ENV=testing .venv/bin/python -m bench.roster_preview [--rows 5000] [--existing 0.1]

Builds an app on a temporary SQLite database, a cohort with a coordinator, and people already in
the system (a share of the file's rows, half of them enrolled in another cohort), then writes the
roster as CSV and as XLSX and times ``lms.cohorts.roster.preview`` on each, ``import_rows`` plus the
commit, and a second preview of the same file once everyone is enrolled.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

from sqlalchemy import event

HEADER = ["nip", "nama", "surel", "instansi", "unit kerja", "jabatan", "pangkat/golongan"]
GOLONGAN = ["III/a", "III/b", "III/c", "III/d", "IV/a", "IV/b"]


def nip(i: int) -> str:
    """A valid NIP, distinct for every i below ~21,900 (born 1960 + i days, appointed 2020)."""
    born = date(1960, 1, 1) + timedelta(days=i)
    return f"{born:%Y%m%d}2020011{i % 999 + 1:03d}"


def person(i: int) -> list[str]:
    return [
        nip(i),
        f"Peserta {i}",
        f"peserta{i}@bench.go.id",
        "Pemerintah Provinsi Kalimantan Tengah",
        f"Bidang {i % 17}",
        "Kepala Seksi",
        GOLONGAN[i % len(GOLONGAN)],
    ]


def csv_bytes(rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for i in range(rows):
        writer.writerow(person(i))
    return out.getvalue().encode("utf-8")


def xlsx_bytes(rows: int) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADER)
    for i in range(rows):
        sheet.append(person(i))  # every cell a string: the NIP column is text
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@contextmanager
def counting(engine: Any) -> Iterator[list[str]]:
    statements: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def arrange(session: Any, rows: int, existing_share: float) -> Any:
    from lms.cohorts.models import Membership, Program, Role
    from lms.cohorts.services import save_cohort
    from lms.users.models import ParticipantProfile, User

    program = Program(code="PKA", name="Pelatihan Kepemimpinan Administrator")
    coordinator = User(email="koordinator@bench.go.id", name="Koordinator")
    session.add_all([program, coordinator])
    session.flush()
    cohort = save_cohort(
        session,
        None,
        program=program,
        actor=coordinator,
        name="Angkatan XII",
        year=2026,
        start_date=date(2026, 8, 3),
        end_date=date(2026, 11, 20),
    )
    earlier = save_cohort(
        session, None, program=program, actor=coordinator, name="Angkatan XI", year=2025, start_date=None, end_date=None
    )
    step = max(1, round(1 / existing_share)) if existing_share > 0 else 0
    known = list(range(0, rows, step)) if step else []
    for n, i in enumerate(known):
        values = person(i)
        user = User(email=values[2], name=values[1])
        user.profile = ParticipantProfile(nip=values[0], instansi=values[3], unit="", jabatan="", golongan=None)
        session.add(user)
        if n % 2 == 0:
            session.add(Membership(cohort=earlier, user=user, role=Role.PARTICIPANT))
    session.commit()
    return cohort, len(known)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000, help="participants in the file (default 5000)")
    parser.add_argument(
        "--existing", type=float, default=0.1, help="share of them already in the database (default 0.1)"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.rows <= 20000:
        parser.error("--rows must lie between 1 and 20000 (the roster's row limit)")

    from lms.app import create_app
    from lms.cohorts import roster
    from lms.db import Base

    with tempfile.TemporaryDirectory(prefix="tolok-bench-") as tmp:
        app = create_app(
            {
                "ENV": "testing",
                "SECRET_KEY": "bench",
                "DATABASE_URL": f"sqlite:///{os.path.join(tmp, 'bench.sqlite3')}",
                "UPLOAD_DIR": os.path.join(tmp, "uploads"),
                "RATELIMIT_ENABLED": False,
            }
        )
        database = app.extensions["lms.db"]
        Base.metadata.create_all(database.engine)
        max_rows = max(args.rows, app.config["ROSTER_MAX_ROWS"])

        with app.app_context():
            cohort, known = arrange(database.session(), args.rows, args.existing)
            cohort_id = cohort.id
        started = time.perf_counter()
        files = {"CSV": csv_bytes(args.rows), "XLSX": xlsx_bytes(args.rows)}
        print(
            f"{args.rows} rows, {known} people already in the database; "
            f"CSV {len(files['CSV']) / 1024:.0f} KiB, XLSX {len(files['XLSX']) / 1024:.0f} KiB "
            f"(written in {time.perf_counter() - started:.2f} s)\n"
        )

        results: list[tuple[str, float, int, str]] = []

        def measure(label: str, work: Callable[[Any, Any], str]) -> None:
            with app.test_request_context():
                session = database.session()
                from lms.cohorts.models import Cohort

                target = session.get(Cohort, cohort_id)
                with counting(database.engine) as statements:
                    started = time.perf_counter()
                    note = work(session, target)
                    elapsed = time.perf_counter() - started
                results.append((label, elapsed, len(statements), note))

        def summary(result: Any) -> str:
            if not result.ok:
                return f"{len(result.error_rows)} rows with errors"
            return ", ".join(
                f"{result.count(s)} {s}" for s in ("new", "existing", "update", "enrolled") if result.count(s)
            )

        def previewing(kind: str) -> Callable[[Any, Any], str]:
            return lambda session, cohort: summary(
                roster.preview(session, cohort, files[kind], f"roster.{kind.lower()}", max_rows)
            )

        def importing(session: Any, cohort: Any) -> str:
            result = roster.preview(session, cohort, files["CSV"], "roster.csv", max_rows)
            parse_done = time.perf_counter()
            counts = roster.import_rows(session, cohort, result)
            session.commit()
            importing.write_seconds = time.perf_counter() - parse_done  # type: ignore[attr-defined]
            return ", ".join(f"{v} {k}" for k, v in counts.items() if v)

        measure("preview CSV", previewing("CSV"))
        measure("preview XLSX", previewing("XLSX"))
        measure("preview CSV + import_rows + commit", importing)
        measure("preview CSV again (all enrolled)", previewing("CSV"))
        database.dispose()

    width = max(len(label) for label, *_ in results)
    print(f"{'step':<{width}}  {'seconds':>8}  {'queries':>7}  outcome")
    for label, seconds, queries, note in results:
        print(f"{label:<{width}}  {seconds:>8.3f}  {queries:>7}  {note}")
    print(f"\nimport_rows + commit alone: {importing.write_seconds:.3f} s")  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
