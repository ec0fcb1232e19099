"""Prometheus metrics: requests and their latency per endpoint, plus what other parts add.

prometheus-client keeps metrics per process. Under gunicorn (several worker processes) set
``PROMETHEUS_MULTIPROC_DIR`` to an empty folder before it starts (deploy/ does: gunicorn.conf.py
wipes the files at the top of it): every process writes its samples there and /metrics adds them up
(prometheus-client's multiprocess mode; gunicorn's ``child_exit`` hook marks dead workers). The job
consumer on the same machine uses a subfolder (``$PROMETHEUS_MULTIPROC_DIR/worker``, wiped at its own
start), so that restarting one service never deletes the other's live files, and the web's /metrics
adds the subfolders in too. Without the variable, /metrics shows the answering process only.

Gauges that are read at scrape time (the job queue's depth) are collectors added with
:func:`add_collector`; they are asked on each scrape, so they work in both modes.
"""

from __future__ import annotations

import glob
import os
import time
from collections.abc import Iterable
from typing import Any

from flask import Flask, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.registry import Collector

REQUESTS = Counter(
    "lms_http_requests_total", "HTTP requests answered, by endpoint, method and status.",
    ["endpoint", "method", "status"],
)
LATENCY = Histogram(
    "lms_http_request_duration_seconds", "Time to answer an HTTP request, by endpoint.",
    ["endpoint", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
CONTENT_TYPE = CONTENT_TYPE_LATEST


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def add_collector(app: Flask, collector: Collector) -> None:
    """Ask ``collector`` on every scrape of this app's /metrics."""
    app.extensions.setdefault("lms.metric_collectors", []).append(collector)


def init_app(app: Flask) -> None:
    @app.before_request
    def _start_clock() -> None:
        g._lms_request_started = time.perf_counter()

    @app.after_request
    def _observe(response: Any) -> Any:
        started = g.pop("_lms_request_started", None)
        # The endpoint, never the path: one series per view, not one per cohort id.
        endpoint = request.url_rule.endpoint if request.url_rule is not None else "unmatched"
        REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
        if started is not None:
            LATENCY.labels(endpoint, request.method).observe(time.perf_counter() - started)
        return response


class _Forward(Collector):
    def __init__(self, source: Any) -> None:
        self.source = source

    def collect(self) -> Iterable[Any]:
        return self.source.collect()


class _Files(Collector):
    """Every process's samples under ``folder`` and its subfolders (the consumer's), added up."""

    def __init__(self, folder: str) -> None:
        self.folder = folder

    def collect(self) -> Iterable[Any]:
        from prometheus_client.multiprocess import MultiProcessCollector

        files = glob.glob(os.path.join(self.folder, "*.db")) + glob.glob(os.path.join(self.folder, "*", "*.db"))
        return MultiProcessCollector.merge(files, accumulate=True)


def wipe(folder: str) -> None:
    """Forget the samples of processes from before a (re)start: the files at the top of ``folder``."""
    os.makedirs(folder, exist_ok=True)
    for path in glob.glob(os.path.join(folder, "*.db")):
        os.remove(path)


def render(app: Flask) -> bytes:
    """This node's metrics in Prometheus' text format."""
    registry = CollectorRegistry(auto_describe=True)
    folder = multiprocess_dir()
    if folder:
        registry.register(_Files(folder))
    else:
        registry.register(_Forward(REGISTRY))
    for collector in app.extensions.get("lms.metric_collectors", []):
        registry.register(_Forward(collector))
    return generate_latest(registry)
