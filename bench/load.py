"""Throughput of one Tolok web node under load: requests per second for the pages issue 13 names.

    # a node on the bench data (bench.pages or bench.export left it in the database):
    LMS_ENV=production LMS_SECRET_KEY=bench LMS_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        LMS_RATELIMIT_ENABLED=false GUNICORN_BIND=127.0.0.1:5150 GUNICORN_WORKERS=2 GUNICORN_THREADS=4 GUNICORN_MAX_REQUESTS=0 \\
        GUNICORN_ACCESSLOG=/dev/null .venv/bin/gunicorn -c deploy/gunicorn.conf.py --reuse-port wsgi:app &
    .venv/bin/python -m bench.load --port 5150 --database postgresql+psycopg://postgres@127.0.0.1:5432/bench

For each page it runs ``wrk`` (``apt-get install wrk``) with ``--connections`` connections for
``--seconds``, logged in as the person who reads the page (the bench data's accounts). The pages
take turns in ``--rounds`` rounds; it prints each round, then per page the median req/s, the
median of its ratio to the static file's req/s of the same round (with the lowest and highest),
and the latency percentiles.
``--reuse-port`` gives each gunicorn worker its own listening socket: with the shared one, all of
wrk's keep-alive connections sometimes land on one worker (2 runs in 28 on the static file), which
halves that page's rate in its round and skews its ratio (docs/capacity.md, "gunicorn's accept
race"). The deployment keeps the shared socket, for reloads without dropped connections.
Without wrk on the machine it falls back to bench/http_load.py (Python threads; lower ceilings).
Only loopback addresses: this measures a node on this machine.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
from statistics import median
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
    parser.add_argument("--seconds", type=int, default=4, help="per page and round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds; each measures every page once, in turn")
    args = parser.parse_args()
    if args.seconds * args.rounds > 120:
        raise SystemExit("bounded on purpose: at most 120 s per page (seconds × rounds)")
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
    print(
        f"{tool}, {args.connections} connections, {args.rounds} rounds of {args.seconds} s per page, "
        "the pages in turn in each round\n"
    )
    # A shared machine's speed moves by minutes (the same page twice 2x apart): the pages take
    # turns in short rounds, each page's rate is compared with the static file's of its own round,
    # and the medians are given with the rounds' spread.
    rounds: list[dict[str, dict[str, float]]] = []
    for number in range(1, args.rounds + 1):
        measured = {name: measure(tool, args, path, cookie) for name, path, cookie in pages}
        rounds.append(measured)
        static = measured["static file"]["req_per_s"] or 1.0
        print(
            f"round {number}: "
            + ", ".join(
                f"{name} {m['req_per_s']:.0f} ({m['req_per_s'] / static:.3f}×)" for name, m in measured.items()
            ),
            flush=True,
        )
    print(
        f"\n{'page':<24} {'req/s':>8} {'× static':>9} {'min ×':>7} {'max ×':>7} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}"
    )
    for name, _path, _cookie in pages:
        rates = [r[name]["req_per_s"] for r in rounds]
        ratios = [r[name]["req_per_s"] / (r["static file"]["req_per_s"] or 1.0) for r in rounds]
        print(
            f"{name:<24} {median(rates):>8.1f} {median(ratios):>9.3f} {min(ratios):>7.3f} {max(ratios):>7.3f} "
            f"{median(r[name]['p50_ms'] for r in rounds):>8.1f} {median(r[name]['p99_ms'] for r in rounds):>8.1f} "
            f"{sum(r[name]['errors'] for r in rounds):>6.0f}"
        )


def measure(tool: str, args: argparse.Namespace, path: str, cookie: str | None) -> dict[str, float]:
    if tool == "wrk":
        return wrk(args.port, path, cookie, args.connections, args.seconds)
    got = run("127.0.0.1", args.port, path, args.connections, args.seconds, 100000, cookie)
    return {"req_per_s": got["req_per_s"], "p50_ms": got["p50_ms"], "p99_ms": got["p95_ms"], "errors": got["errors"]}


if __name__ == "__main__":
    main()
