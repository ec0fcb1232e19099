"""How each big page and export behaves at [150] and [3000] peserta: time, queries, memory, bytes,
and the ratio to its floor.

    make bench                                   # small, on SQLite, under two minutes
    LMS_ENV=testing .venv/bin/python -m bench.pages --database postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        [--cohorts 20 --size 150 --national 3000] [--delete]

It generates the data (bench/data.py; the database is emptied first), then requests each page
through the app's test client as the person who would open it: the best of ``--runs`` timings, the
SQL statements of one request, the peak of Python allocations during one request (tracemalloc,
a separate run) and the size of the body. The *floor* of a page is the least work that could give
its reader the same information: its data in one SQL query, written as HTML rows or CSV by a
plain writer, timed in the same run; ``× floor`` is the page's time over that. ``--delete`` ends
the run by deleting the national cohort with all its work, and then its 3,000 peserta.
"""

from __future__ import annotations

import argparse
import csv
import html
import io
import logging
import os
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import event, text

from bench.data import Size, World, generate, known, store_results

# The data each page shows, in one query: what its floor reads. ``:c`` is the cohort, ``:v`` the
# visit, ``:a`` the assessment, ``:p`` the participant.
FLOORS = {
    "results": """SELECT u.name, pp.nip, pp.instansi, a.title, g.score FROM memberships m
        JOIN users u ON u.id = m.user_id LEFT JOIN participant_profiles pp ON pp.user_id = u.id
        JOIN assessments a ON a.cohort_id = m.cohort_id
        LEFT JOIN submissions s ON s.assessment_id = a.id AND s.participant_id = u.id
        LEFT JOIN grades g ON g.submission_id = s.id AND g.status = 'released'
        WHERE m.cohort_id = :c AND m.role = 'participant' ORDER BY u.name, a.id""",
    "visit": """SELECT g.name, u.name, pp.instansi FROM benchmarking_groups g
        JOIN benchmarking_group_members gm ON gm.group_id = g.id JOIN users u ON u.id = gm.user_id
        LEFT JOIN participant_profiles pp ON pp.user_id = u.id WHERE g.visit_id = :v ORDER BY g.position, u.name
        LIMIT 500""",
    "funnel": """SELECT p.stage, count(*) FROM benchmarking_practices p JOIN submissions s ON s.id = p.submission_id
        WHERE p.visit_id = :v GROUP BY p.stage""",
    "mine": """SELECT a.title, g.score FROM assessments a
        LEFT JOIN submissions s ON s.assessment_id = a.id AND s.participant_id = :p
        LEFT JOIN grades g ON g.submission_id = s.id AND g.status = 'released' WHERE a.cohort_id = :c""",
    "progress": """SELECT u.name, s.state, g.status FROM memberships m JOIN users u ON u.id = m.user_id
        LEFT JOIN submissions s ON s.participant_id = u.id AND s.assessment_id = :a
        LEFT JOIN grades g ON g.submission_id = s.id WHERE m.cohort_id = :c AND m.role = 'participant'
        ORDER BY u.name LIMIT 50""",
    "queue": """SELECT s.id, u.name, a.title, s.submitted_at FROM submissions s
        JOIN assessments a ON a.id = s.assessment_id JOIN users u ON u.id = s.participant_id
        LEFT JOIN grades g ON g.submission_id = s.id
        WHERE a.cohort_id = :c AND s.state = 'submitted' AND g.id IS NULL ORDER BY s.submitted_at, s.id LIMIT 50""",
    "catalogue": """SELECT p.title, p.identified FROM benchmarking_practices p WHERE p.published
        AND (lower(p.title) LIKE '%digital%' OR lower(p.identified) LIKE '%digital%') ORDER BY p.id DESC LIMIT 50""",
    "dashboard": """SELECT count(*) FROM submissions s JOIN assessments a ON a.id = s.assessment_id
        LEFT JOIN grades g ON g.submission_id = s.id
        WHERE a.cohort_id = :c AND s.state = 'submitted' AND (g.id IS NULL OR g.status = 'draft')""",
}


def make_app(url: str, tmp: str) -> Any:
    from lms.app import create_app

    return create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": "bench",
            "DATABASE_URL": url,
            "CSRF_ENABLED": False,
            "UPLOAD_DIR": os.path.join(tmp, "uploads"),
            "RATELIMIT_ENABLED": False,
        }
    )


def empty_database(url: str) -> None:
    from sqlalchemy import create_engine

    if url.startswith("sqlite"):
        return
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def pages(world: World, label: str) -> list[tuple[str, str, int | str, str, dict[str, int]]]:
    """(name, url, who, floor, floor params) for one cohort; who is a user id, or an API token."""
    c = world.cohorts[label]
    params = {"c": c["cohort"], "v": c["visit"], "a": c["assessment"], "p": c["participant"]}
    coordinator = c["coordinator"]
    return [
        ("visit page with groups", f"/benchmarking/visits/{c['visit']}", coordinator, "visit", params),
        ("results page", f"/cohorts/{c['cohort']}/results", coordinator, "results", params),
        ("funnel", f"/benchmarking/visits/{c['visit']}/funnel", coordinator, "funnel", params),
        ("peserta's own results", f"/cohorts/{c['cohort']}/results/mine", c["participant"], "mine", params),
        ("API results", f"/api/v1/cohorts/{c['cohort']}/results", world.tokens[label], "results", params),
        ("grading progress", f"/grading/assessments/{c['assessment']}/progress", coordinator, "progress", params),
        ("queue ungraded (coordinator)", "/grading/?state=ungraded", coordinator, "queue", params),
        ("queue ungraded (admin)", "/grading/?state=ungraded", world.admin_id, "queue", params),
        ("catalogue ?q=digital", "/benchmarking/catalogue?q=digital", coordinator, "catalogue", params),
        ("staff dashboard", "/", coordinator, "dashboard", params),
        ("CSV export", f"/cohorts/{c['cohort']}/results/export?format=csv", coordinator, "results", params),
        ("XLSX export", f"/cohorts/{c['cohort']}/results/export?format=xlsx", coordinator, "results", params),
    ]


def client_for(app: Any, user_id: int | str) -> Callable[[str], Any]:
    from lms import db
    from lms.users.models import User

    client = app.test_client()
    headers = {}
    if isinstance(user_id, str):
        headers["Authorization"] = f"Bearer {user_id}"
    else:
        with app.app_context():
            token = db.session.get(User, user_id).get_id()
        with client.session_transaction() as cookie:
            cookie["_user_id"] = token
            cookie["_fresh"] = True
    return lambda url: client.get(url, headers=headers)


def floor(app: Any, name: str, params: dict[str, int]) -> tuple[float, int]:
    """One query and a plain writer: HTML rows for pages, CSV for exports."""
    engine = app.extensions["lms.db"].engine
    started = time.perf_counter()
    with engine.connect() as conn:
        rows = conn.execute(text(FLOORS[name]), params).all()
    out = io.StringIO()
    if name == "results" and params.get("csv"):
        csv.writer(out).writerows(rows)
    else:
        for row in rows:
            out.write("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>\n")
    return time.perf_counter() - started, len(out.getvalue())


def measure(app: Any, world: World, label: str, runs: int) -> Iterator[dict[str, Any]]:
    engine = app.extensions["lms.db"].engine
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    for name, url, who, floor_name, params in pages(world, label):
        get = client_for(app, who)
        response = get(url)  # warm: templates compiled, caches filled
        response.get_data()  # a streamed body (CSV) is read to its end before the next request
        status = response.status_code
        timings = []
        for _ in range(runs):
            statements.clear()
            started = time.perf_counter()
            response = get(url)
            body = response.get_data()
            timings.append(time.perf_counter() - started)
        queries = len(statements)
        tracemalloc.start()
        get(url).get_data()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        floor_params = dict(params, csv=int("export" in name))
        floor_seconds = min(floor(app, floor_name, floor_params)[0] for _ in range(runs))
        yield {
            "page": name,
            "status": status,
            "seconds": min(timings),
            "queries": queries,
            "peak_mb": peak / 1024 / 1024,
            "kb": len(body) / 1024,
            "floor": floor_seconds,
        }


def delete_national(app: Any, world: World) -> tuple[float, float]:
    """Delete the national cohort with all its work (the service the command uses), then its peserta."""
    from lms.cohorts.models import Cohort
    from lms.cohorts.services import delete_cohort

    database = app.extensions["lms.db"]
    engine = database.engine
    cohort_id = world.cohorts["national"]["cohort"]
    with engine.begin() as conn:
        people = [
            r[0]
            for r in conn.execute(
                text("SELECT user_id FROM memberships WHERE cohort_id = :c AND role = 'participant'"), {"c": cohort_id}
            )
        ]
    with app.app_context():
        session = database.session()
        cohort = session.get(Cohort, cohort_id)
        started = time.perf_counter()
        delete_cohort(session, cohort)
        session.commit()
        cohort_seconds = time.perf_counter() - started
    started = time.perf_counter()
    with engine.begin() as conn:
        for start in range(0, len(people), 1000):
            chunk = people[start : start + 1000]
            conn.execute(text(f"DELETE FROM users WHERE id IN ({','.join(str(int(i)) for i in chunk)})"))
    return cohort_seconds, time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="a PostgreSQL URL (emptied first!); default: a temporary SQLite file")
    parser.add_argument("--cohorts", type=int, default=20, help="cohorts of --size peserta (default 20)")
    parser.add_argument("--size", type=int, default=150, help="peserta per cohort (default 150)")
    parser.add_argument("--national", type=int, default=3000, help="peserta of the national cohort (default 3000)")
    parser.add_argument("--runs", type=int, default=3, help="timed requests per page, the best counts (default 3)")
    parser.add_argument("--delete", action="store_true", help="finally delete the national cohort and its peserta")
    parser.add_argument("--reuse", action="store_true", help="measure the data a previous run left in --database")
    args = parser.parse_args(argv)
    logging.disable(logging.INFO)  # one JSON line per request would bury the table

    with tempfile.TemporaryDirectory(prefix="tolok-bench-pages-") as tmp:
        url = args.database or f"sqlite:///{os.path.join(tmp, 'bench.sqlite3')}"
        if not args.reuse:
            empty_database(url)
        app = make_app(url, tmp)
        started = time.perf_counter()
        world = (
            known(app)
            if args.reuse
            else generate(app, Size(cohorts=args.cohorts, size=args.size, national=args.national))
        )
        generated = time.perf_counter() - started
        stored = store_results(app)
        backend = app.extensions["lms.db"].engine.dialect.name
        print(
            f"{backend}: {args.cohorts} cohorts × {args.size} + {args.national} peserta; "
            + ", ".join(f"{n} {t}" for t, n in world.counts.items())
            + f" (generated in {generated:.0f} s; every cohort's results computed and stored in {stored:.0f} s)"
        )
        print(f"load: {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} {os.getloadavg()[2]:.1f} (1, 5, 15 min)\n")
        header = f"{'page':<30} {'peserta':>7} {'status':>6} {'ms':>8} {'queries':>7} {'peak MB':>8} {'KB':>8} {'× floor':>8}"
        print(header)
        seen: dict[str, dict[str, float]] = {}
        for label in ("c150", "national"):
            for r in measure(app, world, label, args.runs):
                seen.setdefault(r["page"], {})[label] = r["seconds"]
                print(
                    f"{r['page']:<30} {world.cohorts[label]['people']:>7} {r['status']:>6} {r['seconds'] * 1000:>8.0f} "
                    f"{r['queries']:>7} {r['peak_mb']:>8.1f} {r['kb']:>8.0f} {r['seconds'] / max(r['floor'], 1e-6):>8.1f}"
                )
                sys.stdout.flush()
        print(f"\n{'page':<30} {'[3000] / [150]':>14}  (issue 13: under 3)")
        for page, times in seen.items():
            if "c150" in times and "national" in times:
                print(f"{page:<30} {times['national'] / max(times['c150'], 1e-6):>14.2f}")
        if args.delete:
            cohort_seconds, people_seconds = delete_national(app, world)
            print(
                f"\ndeleting the national cohort with all its work: {cohort_seconds:.1f} s; "
                f"then its {args.national} peserta: {people_seconds:.1f} s"
            )
        app.extensions["lms.db"].dispose()


if __name__ == "__main__":
    main()
