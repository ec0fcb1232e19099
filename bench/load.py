"""Throughput of one Tolok web node under load: requests per second for the pages issue 13 names.

    # a node on the bench data (bench.pages or bench.export left it in the database):
    LMS_ENV=production LMS_SECRET_KEY=bench LMS_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        LMS_RATELIMIT_ENABLED=false GUNICORN_BIND=127.0.0.1:5150 GUNICORN_WORKERS=2 GUNICORN_THREADS=4 GUNICORN_MAX_REQUESTS=0 \\
        GUNICORN_ACCESSLOG=/dev/null .venv/bin/gunicorn -c deploy/gunicorn.conf.py wsgi:app &
    .venv/bin/python -m bench.load --port 5150 --database postgresql+psycopg://postgres@127.0.0.1:5432/bench

For each page it runs ``wrk`` (``apt-get install wrk``) with ``--connections`` connections for
``--seconds``, logged in as the person who reads the page (the bench data's accounts), and prints
req/s, the latency percentiles and the ratio to the static file's req/s measured in the same run.
Without wrk on the machine it falls back to bench/http_load.py (Python threads; lower ceilings).
Only loopback addresses: this measures a node on this machine.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
from typing import Any

from sqlalchemy import create_engine, text

from bench.data import PASSWORD
from bench.http_load import _cookie_login, run


def accounts(url: str) -> dict[str, Any]:
    """The 150-peserta cohort's id, its coordinator's and a peserta's e-mail, from the bench data."""
    engine = create_engine(url)
    with engine.connect() as conn:
        cohort = conn.execute(text("SELECT id FROM cohorts WHERE name = 'Angkatan c150'")).scalar_one()
        coordinator = conn.execute(
            text(
                "SELECT u.email FROM users u JOIN memberships m ON m.user_id = u.id "
                "WHERE m.cohort_id = :c AND m.role = 'coordinator' ORDER BY u.id LIMIT 1"
            ),
            {"c": cohort},
        ).scalar_one()
        peserta = conn.execute(
            text(
                "SELECT u.email FROM users u JOIN memberships m ON m.user_id = u.id "
                "WHERE m.cohort_id = :c AND m.role = 'participant' ORDER BY u.id LIMIT 1"
            ),
            {"c": cohort},
        ).scalar_one()
    engine.dispose()
    return {"cohort": cohort, "coordinator": coordinator, "peserta": peserta}


def wrk(port: int, path: str, cookie: str | None, connections: int, seconds: int) -> dict[str, float]:
    command = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(
        command + [f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)

    def percentile(p: str) -> float:
        found = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)", out, re.M)
        if not found:
            return 0.0
        return float(found.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[found.group(2)]

    return {
        "req_per_s": rate,
        "p50_ms": percentile("50"),
        "p99_ms": percentile("99"),
        "errors": int(bad.group(1)) if bad else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5150)
    parser.add_argument("--database", required=True, help="the node's database (to find the bench accounts)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=15)
    args = parser.parse_args()
    if args.seconds > 120:
        raise SystemExit("bounded on purpose: at most 120 s per page")
    who = accounts(args.database)
    cookies = {role: _cookie_login("127.0.0.1", args.port, who[role], PASSWORD) for role in ("peserta", "coordinator")}
    pages = [
        ("static file", "/static/favicon.svg", None),
        ("login page", "/login", None),
        ("peserta dashboard", "/", cookies["peserta"]),
        ("coordinator dashboard", "/", cookies["coordinator"]),
        ("results page [150]", f"/cohorts/{who['cohort']}/results", cookies["coordinator"]),
    ]
    tool = "wrk" if shutil.which("wrk") else "bench.http_load"
    print(f"{tool}, {args.connections} connections, {args.seconds} s per page\n")
    print(f"{'page':<24} {'req/s':>8} {'× static':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
    static = None
    for name, path, cookie in pages:
        if tool == "wrk":
            result = wrk(args.port, path, cookie, args.connections, args.seconds)
        else:
            got = run("127.0.0.1", args.port, path, args.connections, args.seconds, 100000, cookie)
            result = {
                "req_per_s": got["req_per_s"],
                "p50_ms": got["p50_ms"],
                "p99_ms": got["p95_ms"],
                "errors": got["errors"],
            }
        static = static or result["req_per_s"]
        print(
            f"{name:<24} {result['req_per_s']:>8.1f} {result['req_per_s'] / static:>9.3f} {result['p50_ms']:>8.1f} "
            f"{result['p99_ms']:>8.1f} {result['errors']:>6.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
