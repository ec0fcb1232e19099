"""A bounded HTTP load loop against one Tolok node on this machine (docs/capacity.md's numbers).

    python -m bench.http_load --port 8000 --path /login --concurrency 8 --seconds 20
    python -m bench.http_load --port 8000 --path / --login peserta@tolok.example:demo-peserta-2026

Each of ``--concurrency`` threads keeps one connection open and sends GETs one after another until
``--seconds`` or ``--max-requests`` is reached; it stops by itself. Only loopback addresses are
accepted: this is for measuring a node here, never for someone else's server.
"""

from __future__ import annotations

import argparse
import http.client
import ipaddress
import re
import statistics
import threading
import time
from urllib.parse import urlencode


def _cookie_login(host: str, port: int, email: str, password: str) -> str:
    conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.request("GET", "/login")
    response = conn.getresponse()
    page = response.read()
    cookies = {
        c.split("=", 1)[0]: c.split(";", 1)[0].split("=", 1)[1] for c in response.msg.get_all("Set-Cookie") or []
    }
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page).group(1).decode()
    body = urlencode({"csrf_token": token, "email": email, "password": password})
    conn.request(
        "POST",
        "/login",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
        },
    )
    response = conn.getresponse()
    response.read()
    if response.status != 302:
        raise SystemExit(f"login failed: {response.status}")
    for c in response.msg.get_all("Set-Cookie") or []:
        name, value = c.split(";", 1)[0].split("=", 1)
        cookies[name] = value
    conn.close()
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def run(
    host: str, port: int, path: str, concurrency: int, seconds: float, max_requests: int, cookie: str | None
) -> dict[str, float]:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    sent = [0]

    def worker() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=30)
        headers = {"Cookie": cookie} if cookie else {}
        while time.monotonic() < deadline:
            with lock:
                if sent[0] >= max_requests:
                    break
                sent[0] += 1
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except OSError:
                ok = False
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=30)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if not ok:
                    errors[0] += 1
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - began
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors[0],
        "seconds": round(wall, 1),
        "req_per_s": round(len(latencies) / wall, 1),
        "p50_ms": round(1000 * statistics.median(latencies), 1) if latencies else 0.0,
        "p95_ms": round(1000 * latencies[int(0.95 * (len(latencies) - 1))], 1) if latencies else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--path", default="/login")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--max-requests", type=int, default=20000)
    parser.add_argument("--login", default=None, help="email:password to log in first (pages behind login)")
    args = parser.parse_args()
    if not ipaddress.ip_address(args.host).is_loopback:
        raise SystemExit("only loopback addresses: measure a node on this machine")
    if args.seconds > 300 or args.max_requests > 100000:
        raise SystemExit("bounded on purpose: at most 300 s and 100000 requests")
    cookie = _cookie_login(args.host, args.port, *args.login.split(":", 1)) if args.login else None
    print(run(args.host, args.port, args.path, args.concurrency, args.seconds, args.max_requests, cookie))


if __name__ == "__main__":
    main()
