"""How long the cohort result exports take, in how much memory and how many SQL queries.

    LMS_ENV=testing .venv/bin/python -m bench.export [--participants 3000] [--assessments 8] [--criteria 4] [--pdf N]

Builds a temporary SQLite database with one cohort: N participants with civil-service profiles,
A assessments sharing a rubric of C criteria, and a released grade for every participant and
assessment (so the criteria sheet has N × A × C rows). Then, each in a fresh Python process so that
one measurement cannot warm or bloat the next, it times building the result table plus writing the
CSV, and plus writing the XLSX (results and criteria sheets), three runs each; a fourth run under
tracemalloc gives the peak of Python allocations, and the process's own peak RSS is reported too.
With ``--pdf N`` it also times the PDF (the recap and a sheet each) for the first N participants.
The targets (issue 6): XLSX for 3,000 × 8 with the criteria sheet under 5 s and 200 MB; CSV under 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

GOLONGAN = ["III/a", "III/b", "III/c", "III/d", "IV/a", "IV/b"]


def nip(i: int) -> str:
    born = date(1960, 1, 1) + timedelta(days=i)
    return f"{born:%Y%m%d}2020011{i % 999 + 1:03d}"


def make_app(url: str, tmp: str) -> Any:
    from lms.app import create_app

    return create_app({"ENV": "testing", "SECRET_KEY": "bench", "DATABASE_URL": url,
                       "UPLOAD_DIR": os.path.join(tmp, "uploads"), "RATELIMIT_ENABLED": False})


def generate(url: str, tmp: str, participants: int, assessments: int, criteria: int) -> int:
    """Fill the database; returns the cohort id. Bulk inserts: this is set-up, not what is measured."""
    from sqlalchemy import insert

    from lms.assessments.models import Assessment, Submission, SubmissionState
    from lms.cohorts.models import Membership, Program, Role
    from lms.cohorts.services import save_cohort
    from lms.db import Base
    from lms.grading.models import Grade, GradeCriterion, GradeStatus
    from lms.rubrics.models import Criterion, Level, Rubric
    from lms.users.models import ParticipantProfile, User

    app = make_app(url, tmp)
    database = app.extensions["lms.db"]
    Base.metadata.create_all(database.engine)
    rng = random.Random(6)
    now = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    with app.app_context():
        session = database.session()
        program = Program(code="PKA", name="Pelatihan Kepemimpinan Administrator")
        coordinator = User(email="koordinator@bench.go.id", name="Koordinator")
        grader = User(email="widyaiswara@bench.go.id", name="Dr. Widyaiswara, M.Si.")
        session.add_all([program, coordinator, grader])
        session.flush()
        cohort = save_cohort(session, None, program=program, actor=coordinator, name="Angkatan XII", year=2026,
                             start_date=date(2026, 8, 3), end_date=date(2026, 11, 20))
        rubric = Rubric(title="Refleksi", cohort_id=cohort.id, frozen=True)
        session.add(rubric)
        session.flush()
        levels: list[list[tuple[int, Decimal, str]]] = []
        for c in range(criteria):
            criterion = Criterion(rubric_id=rubric.id, position=c, title=f"Kriteria {c + 1}", weight=Decimal(1))
            session.add(criterion)
            session.flush()
            row = []
            for p, label in enumerate(("Kurang", "Cukup", "Baik", "Sangat baik"), start=1):
                level = Level(criterion_id=criterion.id, position=p, label=label, points=Decimal(p))
                session.add(level)
                session.flush()
                row.append((level.id, Decimal(p), label))
            levels.append([(criterion.id, *lv) for lv in row])  # type: ignore[misc]
        items = []
        for a in range(assessments):
            item = Assessment(cohort_id=cohort.id, title=f"Refleksi {a + 1}", weight=Decimal(1 + a % 3),
                              rubric_id=rubric.id, due_at=now + timedelta(days=a))
            session.add(item)
            items.append(item)
        session.flush()
        session.commit()
        cohort_id, assessment_ids = cohort.id, [a.id for a in items]

        user_rows = [{"id": 1000 + i, "email": f"peserta{i}@bench.go.id", "name": f"Peserta {i:05d}", "is_admin": False,
                      "is_manager": False, "active": True, "must_change_password": False,
                      "session_token": f"t{i}", "created_at": now} for i in range(participants)]
        session.execute(insert(User), user_rows)
        session.execute(insert(ParticipantProfile), [
            {"user_id": 1000 + i, "nip": nip(i), "instansi": "Pemerintah Provinsi Kalimantan Tengah",
             "unit": f"Bidang {i % 17}", "jabatan": "Kepala Seksi", "golongan": GOLONGAN[i % len(GOLONGAN)],
             "updated_at": now} for i in range(participants)])
        session.execute(insert(Membership), [{"cohort_id": cohort_id, "user_id": 1000 + i, "role": Role.PARTICIPANT,
                                              "created_at": now} for i in range(participants)])
        submission_id = 0
        submissions, grades, grade_criteria = [], [], []
        for i in range(participants):
            for aid in assessment_ids:
                submission_id += 1
                submissions.append({"id": submission_id, "assessment_id": aid, "participant_id": 1000 + i, "attempt": 1,
                                    "state": SubmissionState.SUBMITTED, "body": "", "late": False, "submitted_at": now,
                                    "created_at": now, "updated_at": now, "version": 1})
                picks = [rng.randrange(4) for _ in range(criteria)]
                score = (Decimal(sum(p + 1 for p in picks)) / (4 * criteria) * 100).quantize(Decimal("0.01"))
                grades.append({"id": submission_id, "submission_id": submission_id, "grader_id": grader.id,
                               "rubric_id": rubric.id, "score": score, "feedback": "Analisis sudah baik.",
                               "status": GradeStatus.RELEASED, "released_at": now, "needs_review": False,
                               "updated_at": now, "version": 3})
                for c, pick in enumerate(picks):
                    criterion_id, level_id, points, _label = levels[c][pick]
                    grade_criteria.append({"grade_id": submission_id, "criterion_id": criterion_id, "level_id": level_id,
                                           "points": points, "comment": "Perlu contoh konkret." if pick < 2 else ""})
        for table, rows in ((Submission, submissions), (Grade, grades), (GradeCriterion, grade_criteria)):
            for start in range(0, len(rows), 20000):
                session.execute(insert(table), rows[start:start + 20000])
        session.commit()
    database.dispose()
    return cohort_id


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: per address space, so a fresh process starts
    from zero; getrusage's ru_maxrss would carry the parent's peak across fork and exec)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(url: str, tmp: str, cohort_id: int, fmt: str, trace: bool, pdf_rows: int = 0) -> dict[str, Any]:
    """One export in this process: seconds, queries, peak RSS and (with ``trace``) the tracemalloc peak.

    The PDF is made for the first ``pdf_rows`` participants only (its recap and their sheets):
    WeasyPrint lays out about three sheets a second, so a whole large cohort would take minutes.
    """
    import tracemalloc

    from sqlalchemy import event

    from lms.cohorts.models import Cohort
    from lms.results.exports.as_csv import write_csv
    from lms.results.exports.as_pdf import render_pdf
    from lms.results.exports.as_xlsx import write_xlsx
    from lms.results.table import build_table

    app = make_app(url, tmp)
    database = app.extensions["lms.db"]
    statements: list[str] = []
    event.listen(database.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    out_path = os.path.join(tmp, f"out.{fmt}")
    with app.test_request_context():
        session = database.session()
        cohort = session.get(Cohort, cohort_id)
        _ = cohort.program.code
        import xlsxwriter  # noqa: F401  (imports are not the export's time)

        statements.clear()
        rss_before = peak_rss_mb()
        if trace:
            tracemalloc.start()
        first: list[int] | None = None
        if fmt == "pdf":
            first = [r.participant_id for r in build_table(session, cohort).rows[:pdf_rows]]
            statements.clear()
        started = time.perf_counter()
        table = build_table(session, cohort, participant_ids=first)
        built = time.perf_counter()
        if fmt == "pdf":
            with open(out_path, "wb") as handle:
                handle.write(render_pdf(session, table))
        elif fmt == "csv":
            with open(out_path, "w", encoding="utf-8", newline="") as handle:
                write_csv(table, handle)
        else:
            with open(out_path, "wb") as handle:
                write_xlsx(session, table, handle)
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] if trace else None
        if trace:
            tracemalloc.stop()
    database.dispose()
    return {"seconds": elapsed, "table_seconds": built - started, "queries": len(statements),
            "rss_before_mb": rss_before, "rss_peak_mb": peak_rss_mb(),
            "traced_peak_mb": None if peak is None else peak / 1024 / 1024, "bytes": os.path.getsize(out_path)}


def child(url: str, tmp: str, cohort_id: int, fmt: str, trace: bool, pdf_rows: int = 0) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.export", "--measure", fmt, "--database", url, "--tmp", tmp,
         "--cohort", str(cohort_id), "--pdf", str(pdf_rows)] + (["--trace"] if trace else []),
        capture_output=True, text=True, check=True, env={**os.environ, "LMS_ENV": "testing"})
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=3000)
    parser.add_argument("--assessments", type=int, default=8)
    parser.add_argument("--criteria", type=int, default=4, help="criteria per rubric (default 4)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per format (default 3)")
    parser.add_argument("--pdf", type=int, default=0, metavar="N",
                        help="also time the PDF (recap and sheets) of the first N participants (default: no PDF)")
    parser.add_argument("--measure", choices=["csv", "xlsx", "pdf"], help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    parser.add_argument("--tmp", help=argparse.SUPPRESS)
    parser.add_argument("--cohort", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.measure:
        print(json.dumps(measure(args.database, args.tmp, args.cohort, args.measure, args.trace, args.pdf)))
        return

    with tempfile.TemporaryDirectory(prefix="tolok-bench-export-") as tmp:
        url = f"sqlite:///{os.path.join(tmp, 'bench.sqlite3')}"
        started = time.perf_counter()
        cohort_id = generate(url, tmp, args.participants, args.assessments, args.criteria)
        rows = args.participants * args.assessments * args.criteria
        print(f"{args.participants} participants × {args.assessments} assessments × {args.criteria} criteria: "
              f"{args.participants * args.assessments} released grades, {rows} criteria rows "
              f"(data generated in {time.perf_counter() - started:.1f} s)\n")
        print(f"{'export':<6} {'best s':>7} {'median s':>9} {'table s':>8} {'queries':>7} {'RSS before':>11} "
              f"{'RSS peak':>9} {'traced peak':>12} {'file':>9}")
        for fmt in ("csv", "xlsx", "pdf") if args.pdf else ("csv", "xlsx"):
            repeat = 1 if fmt == "pdf" else args.runs
            runs = sorted((child(url, tmp, cohort_id, fmt, False, args.pdf) for _ in range(repeat)),
                          key=lambda r: r["seconds"])
            traced = child(url, tmp, cohort_id, fmt, True, args.pdf)
            best, median = runs[0], runs[len(runs) // 2]
            label = f"pdf×{args.pdf}" if fmt == "pdf" else fmt
            print(f"{label:<6} {best['seconds']:>7.2f} {median['seconds']:>9.2f} {best['table_seconds']:>8.2f} "
                  f"{best['queries']:>7} {best['rss_before_mb']:>8.0f} MB {max(r['rss_peak_mb'] for r in runs):>6.0f} MB "
                  f"{traced['traced_peak_mb']:>9.1f} MB {best['bytes'] / 1024 / 1024:>6.1f} MB")
        print("\nRSS is the whole process (Python, Flask, SQLAlchemy, the data); 'traced peak' is what the export "
              "itself allocated (tracemalloc, separate run). Targets: XLSX < 5 s and < 200 MB, CSV < 1 s.")


if __name__ == "__main__":
    main()
