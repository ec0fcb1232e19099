"""gunicorn settings for one Tolok web node: ``gunicorn -c deploy/gunicorn.conf.py wsgi:app``.

Every value can be overridden from the environment (GUNICORN_BIND, GUNICORN_WORKERS,
GUNICORN_THREADS, GUNICORN_MAX_REQUESTS) so that the systemd unit, the container and the multi-node test share this file.
"""

import os

# nginx talks to this address; keep it on loopback (or a private interface) only.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Threads inside a few processes: requests wait mostly on PostgreSQL, and threads share one pool
# of database connections per process (see docs/capacity.md for the numbers behind 2x cores).
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * (os.cpu_count() or 1)))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
# Long work (PDF, big exports, imports) runs in the job queue, so a request that takes this long
# is stuck; nginx's proxy_read_timeout is above it so that gunicorn, not nginx, gives up first.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
# A stop (deploy, restart) lets requests in flight finish.
graceful_timeout = 30
# nginx keeps connections to the upstream open (keepalive in the site); keep them a bit longer
# than nginx does so that nginx, not gunicorn, closes an idle one (no reset on reuse).
keepalive = 75
# Recycle workers now and then: a slow leak in a dependency never takes a node down.
# A worker is replaced after this many requests (a guard against slow leaks); 0 never. Throughput
# runs (bench/load.py) set GUNICORN_MAX_REQUESTS=0: wrk sends 5,000 requests to a worker within
# seconds, and a restart in the middle of a page's window measures the restart, not the page.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 5000))
max_requests_jitter = 500 if max_requests else 0
# One listening socket shared by the workers (reuse_port off): with a socket per worker, a worker
# that exits on a reload resets the connections queued on it (docs/capacity.md, accept race).
reuse_port = False
# Heartbeat files in memory, not on a disk that may stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# Access lines to stderr (journald / docker logs); the app logs its own structured lines.
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
errorlog = "-"
# The app trusts X-Forwarded-* through LMS_PROXY_COUNT (Werkzeug's ProxyFix), not gunicorn.
forwarded_allow_ips = "127.0.0.1"


def on_starting(server):
    """Refuse to start a node of a multi-node site that keeps state in this process or machine."""
    from lms.config import ConfigError, load, multinode_problems

    try:
        problems = multinode_problems(load())
    except ConfigError as exc:
        problems = [str(exc)]
    if problems:
        for problem in problems:
            server.log.error("refusing to start: %s", problem)
        raise SystemExit(1)
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        from lms.ops.metrics import wipe

        wipe(folder)


def child_exit(server, worker):
    """Multiprocess metrics: a dead worker's live gauges go; its counters stay counted."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
