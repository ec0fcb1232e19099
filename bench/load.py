"""Throughput of one Tolok web node under load: requests per second for the pages issue 13 names.

    # the bench data (bench.pages or bench.export left it in the database):
    .venv/bin/python -m bench.load --database postgresql+psycopg://postgres@127.0.0.1:5432/bench

It starts the node itself, as deployed (``deploy/gunicorn.conf.py``, gthread ``--workers`` ×
``--threads``) on a free loopback port, and stops it at the end. Two settings differ from the
deployment, both for the measurement: no worker recycling (``GUNICORN_MAX_REQUESTS=0``: wrk sends
thousands of requests to a worker within seconds) and ``--reuse-port``, a listening socket per
worker. With the shared socket, all of wrk's keep-alive connections sometimes land on one worker
(2 runs in 28 on the static file), which halves that page's rate in its round and skews its ratio
(docs/capacity.md, "gunicorn's accept race"); the deployment keeps the shared socket, for reloads
without dropped connections. A socket per worker still leaves the spread to chance: the kernel
hashes each connection to a socket. So each window also counts every worker's CPU (``/proc``): a
window where a worker did less than a quarter of its even share measured where the connections
went, not the page, and is measured again with new connections (up to twice); the uneven windows
are counted per page (``uneven``).
``--port`` measures a node already running instead (no spread check).

For each page it runs ``wrk`` (``apt-get install wrk``) with ``--connections`` connections for
``--seconds``, logged in as the person who reads the page (the bench data's accounts). The pages
take turns in ``--rounds`` rounds; it prints each round, then per page the median req/s, the
median of its ratio to the static file's req/s of the same round (with the lowest and highest),
and the latency percentiles.
Without wrk on the machine it falls back to bench/http_load.py (Python threads; lower ceilings).
Only loopback addresses: this measures a node on this machine.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from statistics import median
from typing import IO, Any

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


ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def node(database: str, workers: int, threads: int) -> Iterator[tuple[int, list[int]]]:
    """A gunicorn node on the bench data, on a free loopback port: yields the port and the workers' pids."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = os.environ | {
        "LMS_ENV": "production",
        "LMS_SECRET_KEY": secrets.token_urlsafe(32),
        "LMS_DATABASE_URL": database,
        "LMS_RATELIMIT_ENABLED": "false",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(workers),
        "GUNICORN_THREADS": str(threads),
        "GUNICORN_MAX_REQUESTS": "0",
        "GUNICORN_ACCESSLOG": "/dev/null",
    }
    command = [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "--reuse-port", "wsgi:app"]
    # The app logs every request: its lines go to a file, which nobody has to keep reading.
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield port, _started(server, port, workers, log)
        finally:
            server.terminate()
            server.wait(timeout=60)


def _started(server: subprocess.Popen[bytes], port: int, workers: int, log: IO[bytes]) -> list[int]:
    """Wait until every worker is up and has answered; a node that cannot start ends the run with its log."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and server.poll() is None:
        pids = _children(server.pid)
        if len(pids) == workers and all(_answers(port) for _ in range(4 * workers)):
            return pids
        time.sleep(0.5)
    log.seek(0)
    raise SystemExit(f"the node did not answer within 120 s:\n{log.read()[-3000:].decode(errors='replace')}")


def _answers(port: int) -> bool:
    """One request on a new connection (each may reach another worker's socket)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", "/static/favicon.svg")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def cpu_ticks(pids: list[int]) -> list[int]:
    """Each process's user + system CPU so far, in clock ticks (/proc/PID/stat)."""
    ticks = []
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks.append(int(fields[11]) + int(fields[12]))
    return ticks


def uneven(before: list[int], after: list[int]) -> bool:
    """True when a worker did less than a quarter of its even share of the node's CPU."""
    spent = [b - a for a, b in zip(before, after, strict=True)]
    return min(spent) < sum(spent) / len(spent) / 4


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
    parser.add_argument("--database", required=True, help="the bench data (the node's database, and the accounts)")
    parser.add_argument("--port", type=int, help="measure a node already listening here instead of starting one")
    parser.add_argument("--workers", type=int, default=2, help="the node's gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=4, help="per page and round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds; each measures every page once, in turn")
    args = parser.parse_args()
    if args.seconds * args.rounds > 120:
        raise SystemExit("bounded on purpose: at most 120 s per page (seconds × rounds)")
    if args.port:
        print(f"the node on port {args.port}, started elsewhere: no check of its workers' spread")
        measure_node(args, args.port, [])
        return
    with node(args.database, args.workers, args.threads) as (port, pids):
        print(f"a node of {args.workers} × {args.threads} (gthread, --reuse-port) on port {port}")
        measure_node(args, port, pids)


def measure_node(args: argparse.Namespace, port: int, pids: list[int]) -> None:
    who = accounts(args.database)
    cookies = {role: _cookie_login("127.0.0.1", port, who[role], PASSWORD) for role in ("peserta", "coordinator")}
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
        measured = {}
        for name, path, cookie in pages:
            measured[name] = measure_spread(tool, args, port, path, cookie, pids)
        rounds.append(measured)
        static = measured["static file"]["req_per_s"] or 1.0
        print(
            f"round {number}: "
            + ", ".join(
                f"{name} {m['req_per_s']:.0f} ({m['req_per_s'] / static:.3f}×{_uneven_note(m)})"
                for name, m in measured.items()
            ),
            flush=True,
        )
    print(
        f"\n{'page':<24} {'req/s':>8} {'× static':>9} {'min ×':>7} {'max ×':>7} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'errors':>6} {'uneven':>6}"
    )
    for name, _path, _cookie in pages:
        rates = [r[name]["req_per_s"] for r in rounds]
        ratios = [r[name]["req_per_s"] / (r["static file"]["req_per_s"] or 1.0) for r in rounds]
        print(
            f"{name:<24} {median(rates):>8.1f} {median(ratios):>9.3f} {min(ratios):>7.3f} {max(ratios):>7.3f} "
            f"{median(r[name]['p50_ms'] for r in rounds):>8.1f} {median(r[name]['p99_ms'] for r in rounds):>8.1f} "
            f"{sum(r[name]['errors'] for r in rounds):>6.0f} "
            f"{int(sum(r[name]['uneven'] for r in rounds)) if pids else '–':>6}"
        )


def measure_spread(
    tool: str, args: argparse.Namespace, port: int, path: str, cookie: str | None, pids: list[int]
) -> dict[str, float]:
    """One window of a page; again (up to twice) when its connections did not spread over the workers.

    Such a window measures where the kernel put wrk's connections, not the page: with a socket per
    worker it hashes each connection to one of them, and 8 connections can still fall mostly on
    one. ``uneven`` counts the page's uneven windows; the third in a row is kept.
    """
    windows = 0
    for _ in range(3):
        before = cpu_ticks(pids)
        got = measure(tool, args, port, path, cookie)
        if not (pids and uneven(before, cpu_ticks(pids))):
            break
        windows += 1
    got["uneven"] = float(windows)
    return got


def _uneven_note(window: dict[str, float]) -> str:
    return f", {window['uneven']:.0f} uneven" if window["uneven"] else ""


def measure(tool: str, args: argparse.Namespace, port: int, path: str, cookie: str | None) -> dict[str, float]:
    if tool == "wrk":
        return wrk(port, path, cookie, args.connections, args.seconds)
    got = run("127.0.0.1", port, path, args.connections, args.seconds, 100000, cookie)
    return {"req_per_s": got["req_per_s"], "p50_ms": got["p50_ms"], "p99_ms": got["p95_ms"], "errors": got["errors"]}


if __name__ == "__main__":
    main()
