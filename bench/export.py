"""The result exports (CSV, XLSX, PDF) of a cohort of 150 and of 3,000 peserta, against their floors.

    LMS_ENV=testing .venv/bin/python -m bench.export                     # small, on SQLite
    LMS_ENV=testing .venv/bin/python -m bench.export --database postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        [--reuse] [--pdf]

The data is bench/data.py's year (``--reuse`` measures what a previous run of bench.pages or this
left in ``--database``). Each measurement runs in a fresh process, so that one cannot warm or
bloat the next: seconds, the process's peak RSS above what it held before the export (VmHWM −
VmRSS), and for the PDF the RSS once the export is done and collected (does the worker give the
memory back?). What a process loads once (imports, and unless ``BENCH_WARM=0`` Babel's locale
data and the translation catalogue, ~4 MB) is loaded before. The floors, timed the same way in the
same run:

- *CSV floor*: one SQL query of the cells the CSV shows (participants, profiles, released scores)
  written by ``csv.writer``, one row per participant;
- *XLSX floor*: the same results rows, the criteria rows and the practices rows, each read by one
  query and written cell by cell with XlsxWriter's public API in ``constant_memory`` mode.

The XLSX uses XlsxWriter's public API only; the worksheet subclass that once overrode its private
cell writer was measured against it here (bench/README.md) and removed.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import gc
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
from typing import Any

from sqlalchemy import text

from bench.data import Size, generate, known, store_results
from bench.pages import empty_database, make_app

FLOOR_RESULTS = """SELECT u.id, u.name, pp.nip, pp.instansi, pp.jabatan, pp.golongan, s.assessment_id, g.score
    FROM memberships m JOIN users u ON u.id = m.user_id LEFT JOIN participant_profiles pp ON pp.user_id = u.id
    LEFT JOIN submissions s ON s.participant_id = u.id
        AND s.assessment_id IN (SELECT id FROM assessments WHERE cohort_id = :c)
    LEFT JOIN grades g ON g.submission_id = s.id AND g.status = 'released'
    WHERE m.cohort_id = :c AND m.role = 'participant' ORDER BY u.name, u.id, s.assessment_id"""
FLOOR_CRITERIA = """SELECT pp.nip, u.name, a.title, s.attempt, c.title, l.label, gc.points, gc.comment, gu.name, g.updated_at
    FROM grade_criteria gc JOIN grades g ON g.id = gc.grade_id JOIN submissions s ON s.id = g.submission_id
    JOIN assessments a ON a.id = s.assessment_id JOIN users u ON u.id = s.participant_id
    LEFT JOIN participant_profiles pp ON pp.user_id = u.id JOIN rubric_criteria c ON c.id = gc.criterion_id
    LEFT JOIN rubric_levels l ON l.id = gc.level_id LEFT JOIN users gu ON gu.id = g.grader_id
    WHERE a.cohort_id = :c AND g.status = 'released' ORDER BY u.name, u.id, a.id, s.attempt, c.position"""
FLOOR_PRACTICES = """SELECT u.name, p.title, p.stage, p.identified, s.submitted_at FROM benchmarking_practices p
    JOIN submissions s ON s.id = p.submission_id JOIN users u ON u.id = s.participant_id
    JOIN benchmarking_visits v ON v.id = p.visit_id WHERE v.cohort_id = :c ORDER BY u.name, p.id"""


def memory() -> dict[str, float]:
    values = {}
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(("VmHWM:", "VmRSS:")):
                values[line.split(":")[0]] = int(line.split()[1]) / 1024
    return values


def reset_peak() -> None:
    """Start VmHWM from the current RSS (Linux: writing 5 to clear_refs resets the peak)."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass


def floor_csv(engine: Any, cohort_id: int, path: str) -> None:
    with engine.connect() as conn, open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        rows = conn.execution_options(stream_results=True, yield_per=2000).execute(
            text(FLOOR_RESULTS), {"c": cohort_id}
        )
        current: list[Any] | None = None
        for uid, name, nip, instansi, jabatan, golongan, _aid, score in rows:
            if current is None or current[0] != uid:
                if current is not None:
                    writer.writerow(current[1:])
                current = [uid, nip, name, instansi, jabatan, golongan]
            current.append("" if score is None else score)
        if current is not None:
            writer.writerow(current[1:])


def floor_xlsx(engine: Any, cohort_id: int, path: str) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(
        path,
        {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
    )
    with engine.connect() as conn:
        stream = conn.execution_options(stream_results=True, yield_per=2000)
        for name, query in (("results", FLOOR_RESULTS), ("criteria", FLOOR_CRITERIA), ("practices", FLOOR_PRACTICES)):
            sheet = book.add_worksheet(name)
            for r, row in enumerate(stream.execute(text(query), {"c": cohort_id}), start=1):
                for c, value in enumerate(row):
                    if value is None:
                        continue
                    if isinstance(value, int | float) or value.__class__.__name__ == "Decimal":
                        sheet.write_number(r, c, float(value))
                    elif hasattr(value, "year"):
                        sheet.write_string(r, c, value.isoformat())
                    else:
                        sheet.write_string(r, c, str(value))
    book.close()


def measure(url: str, tmp: str, label: str, what: str) -> dict[str, Any]:
    """One export or floor in this process."""
    logging.disable(logging.INFO)
    app = make_app(url, tmp)
    world = known(app)
    cohort_id = world.cohorts[label]["cohort"]
    out = os.path.join(tmp, f"{label}-{what}.out")
    engine = app.extensions["lms.db"].engine
    import weasyprint  # noqa: F401  (imports are not the export's time)
    import xlsxwriter  # noqa: F401

    from lms.cohorts.models import Cohort
    from lms.results import stored
    from lms.results.exports import as_pdf, as_xlsx
    from lms.results.exports.as_csv import csv_chunks

    processes = int(os.environ.get("BENCH_PDF_PROCESSES", app.config["PDF_PROCESSES"]))
    with app.test_request_context():
        session = app.extensions["lms.db"].session()
        cohort = session.get(Cohort, cohort_id)
        _ = cohort.program.code
        if os.environ.get("BENCH_WARM", "1") == "1":
            # Like the imports: once per process, not per export (a worker has them after its
            # first request): Babel's locale data (~3.5 MB) and the translation catalogue.
            from flask_babel import gettext

            from lms.core.numbers import format_date, format_number

            format_number(1.5)
            format_date(datetime.date.today())
            gettext("results")
        gc.collect()
        before = memory()["VmRSS"]
        reset_peak()
        started = time.perf_counter()
        cpu = time.process_time()
        pages = None
        if what == "csv-floor":
            floor_csv(engine, cohort_id, out)
        elif what == "xlsx-floor":
            floor_xlsx(engine, cohort_id, out)
        else:
            # As the export job writes them: CSV and XLSX from the stored rows, streamed from a
            # server-side cursor; the PDF from the stored table (lms.results.stored).
            if what == "csv":
                table = stored.stream_table(session, cohort)
                with open(out, "wb") as handle:
                    for chunk in csv_chunks(table, rows=stored.export_rows(session, table)):
                        handle.write(chunk.encode("utf-8"))
            elif what == "xlsx":
                table = stored.stream_table(session, cohort)
                with open(out, "wb") as handle:
                    as_xlsx.write_xlsx(session, table, handle, rows=stored.export_rows(session, table))
            else:
                table = stored.rows_of(session, cohort)
                with open(out, "wb") as handle:
                    pages = as_pdf.write_pdf(
                        session, table, handle, processes=processes if len(table.rows) >= as_pdf.PARALLEL_FROM else 0
                    )
            del table
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
        peak = memory()["VmHWM"]
        session.close()
    gc.collect()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "cpu": cpu + children.ru_utime + children.ru_stime,
        "worker_peak": children.ru_maxrss / 1024,  # the largest PDF worker process's peak RSS, whole
        "seconds": seconds,
        "rss_before": before,
        "peak_above": peak - before,
        "rss_after": memory()["VmRSS"],
        "bytes": os.path.getsize(out),
        "pages": pages,
    }


def child(url: str, tmp: str, label: str, what: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.export", "--measure", what, "--label", label, "--database", url, "--tmp", tmp],
        capture_output=True,
        text=True,
        env={**os.environ, "LMS_ENV": "testing"},
    )
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="a PostgreSQL URL (emptied first unless --reuse); default: SQLite")
    parser.add_argument("--reuse", action="store_true", help="measure the data a previous run left in --database")
    parser.add_argument("--cohorts", type=int, default=2)
    parser.add_argument("--size", type=int, default=150)
    parser.add_argument("--national", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=1, help="runs of each measurement; the fastest counts")
    parser.add_argument("--pdf", action="store_true", help="also the PDF (minutes at 3,000 peserta)")
    parser.add_argument("--only", help="measure these only, comma-separated (csv-floor,csv,xlsx-floor,xlsx,pdf)")
    parser.add_argument("--labels", default="c150,national", help="the cohorts to measure: c150, national")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--label", help=argparse.SUPPRESS)
    parser.add_argument("--tmp", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.database, args.tmp, args.label, args.measure)))
        return
    logging.disable(logging.INFO)
    with tempfile.TemporaryDirectory(prefix="tolok-bench-export-") as tmp:
        url = args.database or f"sqlite:///{os.path.join(tmp, 'bench.sqlite3')}"
        if not args.reuse:
            empty_database(url)
            app = make_app(url, tmp)
            generate(app, Size(cohorts=args.cohorts, size=args.size, national=args.national))
            store_results(app)
            app.extensions["lms.db"].dispose()
        print(f"load: {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} {os.getloadavg()[2]:.1f} (1, 5, 15 min)")
        kinds = ["csv-floor", "csv", "xlsx-floor", "xlsx"] + (["pdf"] if args.pdf else [])
        if args.only:
            kinds = args.only.split(",")
        print(
            f"{'export':<12} {'peserta':>7} {'s':>8} {'× floor':>8} {'peak MB':>8} {'× floor':>8} "
            f"{'RSS after':>9} {'file MB':>8} {'CPU s':>7} {'worker MB':>9} {'pages':>6}"
        )
        for label in args.labels.split(","):
            floors: dict[str, dict[str, Any]] = {}
            for what in kinds:
                runs = [child(url, tmp, label, what) for _ in range(args.runs)]
                best = min(runs, key=lambda r: r["seconds"])
                best["peak_above"] = min(r["peak_above"] for r in runs)
                base = what.split("-")[0]
                if what.endswith("floor"):
                    floors[base] = best
                floor = floors.get(base) if not what.endswith("floor") else None
                ratio = f"{best['seconds'] / floor['seconds']:.2f}" if floor else ""
                mem_ratio = f"{best['peak_above'] / max(floor['peak_above'], 1):.2f}" if floor else ""
                people = args.size if label == "c150" else args.national
                print(
                    f"{what:<12} {people:>7} {best['seconds']:>8.2f} {ratio:>8} {best['peak_above']:>8.0f} "
                    f"{mem_ratio:>8} {best['rss_after']:>9.0f} {best['bytes'] / 1e6:>8.2f} {best['cpu']:>7.1f} "
                    f"{best['worker_peak'] if what == 'pdf' else 0:>9.0f} {best['pages'] or '':>6}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
