"""Kept results pages: the body of a cohort's results page, rendered once per state of the cohort's
results and reused until that state changes.

Why: the results page of a cohort of 150 costs ~55 ms of CPU to build (a page of 50 rows of ~30
cells, the plugins' columns and totals, the charts), and a coordinator's team reads the same page
over and over between two changes. Issue 13 asks four times the throughput of the first version.

What is kept: the page's body (``results/_body.html``: the figures, charts, filter form, the table's
page and the per-assessment charts), which depends on no reader — the header, menu, export buttons
and their CSRF tokens are rendered for each request around it. The key is the cohort, its results
**generation**, the language and the query (search, status, filters, sort, page).

Why it is never stale: the generation (:class:`lms.results.models.CohortFigures`) takes a new random
value in the transaction of every change the page shows — a stored result written or marked stale,
a peserta's name or profile, a certificate (:mod:`lms.results.services`), and the plugins' models
through ``lms_result_inputs`` (``recompute=False`` for what moves no score: practices, follow-ups).
The reader brings the stored rows up to date first, then reads the generation, then (on a miss)
builds the page: a change committed meanwhile gives a newer generation to the next reader, so the
page kept under the older one is not met again. Random values, not a count: a cohort created again
under a reused id, or a database filled again, never meets a key kept before. Each process keeps
its own pages (several nodes each keep theirs: the generation they read is the database's).

Bounded by bytes (``RESULTS_PAGE_CACHE_BYTES``, 0 turns it off), least recently used first out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

from flask import Flask
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.results.models import CohortFigures


@dataclass(frozen=True)
class KeptPage:
    """What the results page shows of the cohort whatever the reader: the body, and the few facts
    the page's head needs (how many peserta: which exports run inline; the definition version)."""

    body: Markup
    participants: int
    components: bool
    definition_version: int | None


class PageCache:
    """A thread-safe least-recently-used map bounded by the bytes of what it holds."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, tuple[KeptPage, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable | None) -> KeptPage | None:
        if key is None or self.max_bytes <= 0:
            return None
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
            return found[0]

    def put(self, key: Hashable | None, page: KeptPage) -> None:
        size = len(page.body) * 2 + 200  # str in memory: 1–4 bytes a character (mostly ASCII)
        if key is None or size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._items[key] = (page, size)
            self._bytes += size
            while self._bytes > self.max_bytes:
                _key, (_page, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped

    def __len__(self) -> int:
        return len(self._items)


def for_app(app: Flask) -> PageCache:
    cache = app.extensions.get("lms.results.pages")
    if cache is None:
        cache = app.extensions["lms.results.pages"] = PageCache(int(app.config.get("RESULTS_PAGE_CACHE_BYTES", 0)))
    return cache


def generation(session: Session, cohort_id: int) -> int | None:
    """The cohort's results generation as this transaction sees it (None: none yet; the first
    reader gives it one). Read after :func:`lms.results.services.ensure_fresh`."""
    return session.scalar(select(CohortFigures.generation).where(CohortFigures.cohort_id == cohort_id)) or None
