"""One PDF renderer per app: HTML and CSS in, PDF bytes out (WeasyPrint), loaded on first use.

WeasyPrint is slow to import (Pango through cffi, fontTools, its CSS tables: docs/pdf.md has the
numbers), and most processes — web workers, the CLI, a test run — never make a PDF. So no module
imports it: the app factory installs a :class:`PdfRenderer` in ``app.extensions["lms.pdf"]`` with a
*loader*, the one function that imports WeasyPrint, and the renderer calls it the first time a PDF
is made. Every PDF producer (the results PDF, certificates, the activation-code sheet) renders
through :func:`renderer` and knows nothing of WeasyPrint.

The renderer also owns the URL fetcher. WeasyPrint's default fetcher follows ``http(s)://`` and
``file://`` URLs: from user Markdown (an ``<img>`` in grader feedback) that is server-side request
forgery or a local file read. Ours serves the app's own static files, read from disk under
:data:`PDF_BASE_URL`, and refuses everything else.
"""

from __future__ import annotations

import gc
import mimetypes
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from types import ModuleType
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import Flask, current_app
from werkzeug.security import safe_join

# The PDF's base URL: links the templates make with url_for() resolve under this origin, and the
# fetcher serves only this origin's static paths from disk.
PDF_BASE_URL = "http://tolok.pdf.invalid/"

Loader = Callable[[], ModuleType]  # returns the ``weasyprint`` package, its submodules imported

# A worker process lays out this many documents, then a fresh one takes its place: whatever the
# renderer's caches and the allocator keep grows no further, whatever the number of parts.
TASKS_PER_PROCESS = 40


# WeasyPrint's user-agent stylesheet styles five pseudo-elements on every element (::footnote-call,
# ::footnote-marker, ::note-call, ::note-marker, ::note-callback: universal selectors) and ::marker
# on every element too, so the cascade computes six styles per element where one is used: a quarter
# of a results sheet's CPU (docs/pdf.md). Tolok's PDFs have no footnotes or notes; the renderer
# gives WeasyPrint its stylesheet without those rules and with ::marker on list items only. The
# PDF is the same, byte for byte (tests/test_exports.py).
_LEAN_UA_DROPPED = ("::footnote-call", "::footnote-marker", "::note-call", "::note-marker", "::note-callback")


def lean_user_agent_css(ua: str) -> str:
    """WeasyPrint's user-agent stylesheet ``ua`` without the note rules, ::marker for lists only."""
    lines = [line for line in ua.splitlines() if not line.startswith(_LEAN_UA_DROPPED)]
    return "\n".join(lines).replace("\n::marker {", "\nli::marker, summary::marker {")


@dataclass(frozen=True)
class Document:
    """One document to render: its HTML, stylesheet files and extra CSS rules."""

    html: str
    stylesheets: tuple[str, ...] = ()
    css: str = ""


def static_roots(app: Flask) -> dict[str, str]:
    """URL path prefix -> folder, for the app's and every blueprint's static files."""
    roots: dict[str, str] = {}
    if app.static_folder and app.static_url_path is not None:
        roots[app.static_url_path.rstrip("/") + "/"] = app.static_folder
    for bp in app.blueprints.values():
        if bp.has_static_folder and bp.static_url_path and bp.static_folder:
            prefix = (bp.url_prefix or "").rstrip("/") + bp.static_url_path.rstrip("/") + "/"
            roots[prefix] = bp.static_folder
    return roots


class StaticOnlyFetcher:
    """Reads the app's static files under :data:`PDF_BASE_URL` and refuses every other URL.

    ``fetched`` and ``refused`` list what one document asked for. :meth:`PdfRenderer.fetcher` mixes
    this class into WeasyPrint's ``URLFetcher``, so WeasyPrint calls :meth:`fetch`; a refused URL
    raises, WeasyPrint skips that image and makes the PDF.
    """

    def __init__(self, roots: dict[str, str], response: Callable[..., Any]) -> None:
        self.roots = roots
        self.response = response
        self.fetched: list[str] = []
        self.refused: list[str] = []

    def path_for(self, url: str) -> str | None:
        parts = urlsplit(url)
        base = urlsplit(PDF_BASE_URL)
        if (parts.scheme, parts.netloc) != (base.scheme, base.netloc) or parts.query:
            return None
        path = unquote(parts.path)
        for prefix, root in self.roots.items():
            if path.startswith(prefix):
                found = safe_join(root, path[len(prefix) :])
                if found and os.path.isfile(found):
                    return found
        return None

    def fetch(self, url: str, headers: Any = None) -> Any:
        found = self.path_for(url)
        if found is None:
            self.refused.append(url)
            raise ValueError(f"refused to fetch {url!r}: PDFs may use the app's static files only")
        self.fetched.append(url)
        with open(found, "rb") as handle:
            body = handle.read()
        mime = mimetypes.guess_type(found)[0] or "application/octet-stream"
        return self.response(url, body=body, headers={"Content-Type": mime})


class PdfRenderer:
    """Renders HTML to PDF with WeasyPrint, imported by ``load`` on the first call.

    Fonts and parsed stylesheets are kept per thread and reused by every later document (finding
    fonts and parsing a stylesheet cost more than laying out a short page); WeasyPrint does not
    promise that one font configuration may serve two threads at once, so each thread has its own.
    """

    def __init__(self, roots: dict[str, str], load: Loader) -> None:
        self.roots = roots
        self._load = load
        self._engine: ModuleType | None = None
        self._fetcher_class: type | None = None
        self._html_class: type | None = None
        self._lock = threading.Lock()
        self._local = threading.local()

    @property
    def engine(self) -> ModuleType:
        """The ``weasyprint`` package, imported the first time it is asked for."""
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    self._engine = self._load()
        return self._engine

    @property
    def loaded(self) -> bool:
        return self._engine is not None

    def fetcher(self) -> StaticOnlyFetcher:
        """A new fetcher for one document (its ``fetched`` and ``refused`` lists are that document's)."""
        if self._fetcher_class is None:
            urls = self.engine.urls

            class Fetcher(StaticOnlyFetcher, urls.URLFetcher):  # type: ignore[name-defined]
                def __init__(self, roots: dict[str, str]) -> None:
                    urls.URLFetcher.__init__(self, allow_redirects=False, fail_on_errors=False)
                    StaticOnlyFetcher.__init__(self, roots, urls.URLFetcherResponse)

            self._fetcher_class = Fetcher
        fetcher: StaticOnlyFetcher = self._fetcher_class(self.roots)
        return fetcher

    def html_class(self) -> Any:
        """WeasyPrint's ``HTML`` with the lean user-agent stylesheet (:func:`lean_user_agent_css`)."""
        if self._html_class is None:
            engine = self.engine
            # Its @counter-style rules are WeasyPrint's own, already in the counter styles every
            # document starts from (engine.html.UA_COUNTER_STYLE): parsed into a throwaway set here.
            ua = engine.CSS(
                string=lean_user_agent_css(engine.html.UA), counter_style=engine.css.counters.CounterStyle()
            )

            class HTML(engine.HTML):  # type: ignore[name-defined]
                def _ua_stylesheets(self, forms: bool = False) -> list[Any]:
                    return [ua, engine.html.UA_FORM_STYLESHEET] if forms else [ua]

            self._html_class = HTML
        return self._html_class

    def _fonts(self) -> Any:
        fonts = getattr(self._local, "fonts", None)
        if fonts is None:
            fonts = self._local.fonts = self.engine.text.fonts.FontConfiguration()
            self._local.sheets = {}
        return fonts

    def stylesheet(self, path: str) -> Any:
        """The stylesheet at ``path``, parsed once per thread."""
        fonts = self._fonts()
        sheets: dict[str, Any] = self._local.sheets
        if path not in sheets:
            sheets[path] = self.engine.CSS(filename=path, url_fetcher=self.fetcher(), font_config=fonts)
        return sheets[path]

    def render(
        self,
        html: str,
        *,
        stylesheets: Sequence[str] = (),
        css: str = "",
        fetcher: StaticOnlyFetcher | None = None,
    ) -> bytes:
        """``html`` as a PDF, styled by the files ``stylesheets`` and the extra rules ``css``.

        Relative URLs resolve under :data:`PDF_BASE_URL`; ``fetcher`` (default: a new one) reads them.
        """
        engine = self.engine
        fonts = self._fonts()
        sheets = [self.stylesheet(path) for path in stylesheets]
        if css:
            sheets.append(engine.CSS(string=css, font_config=fonts))
        document = self.html_class()(string=html, base_url=PDF_BASE_URL, url_fetcher=fetcher or self.fetcher())
        pdf: bytes = document.write_pdf(stylesheets=sheets, font_config=fonts)
        return pdf

    def render_all(
        self, documents: Iterable[Document], *, processes: int = 0, fetcher: StaticOnlyFetcher | None = None
    ) -> Iterator[bytes]:
        """Each of ``documents`` as a PDF, in order, as soon as it and those before it are done.

        With ``processes`` > 0 the documents are laid out in that many worker processes (spawned
        here, WeasyPrint imported there once each, ended when the iteration ends): layout is
        CPU-bound and single-threaded, so one process per core renders that many documents at
        once, and the memory a layout takes is the workers', returned to the system when they
        exit. At most two documents per process wait or run at a time, so ``documents`` may be a
        generator over a large cohort. What the workers fetched and refused is added to ``fetcher``.
        """
        fetcher = fetcher or self.fetcher()
        if processes <= 0:
            for document in documents:
                yield self.render(document.html, stylesheets=document.stylesheets, css=document.css, fetcher=fetcher)
            return
        pool = ProcessPoolExecutor(
            processes,
            mp_context=multiprocessing.get_context("spawn"),  # never fork: the caller may run threads
            initializer=_start_worker,
            initargs=(self.roots, self._load),
            max_tasks_per_child=TASKS_PER_PROCESS,
        )
        waiting: deque[Future[tuple[bytes, list[str], list[str]]]] = deque()
        try:
            for document in documents:
                waiting.append(pool.submit(_render_in_worker, document))
                if len(waiting) >= 2 * processes:
                    yield _collect(waiting.popleft(), fetcher)
            while waiting:
                yield _collect(waiting.popleft(), fetcher)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


_worker: PdfRenderer | None = None  # the renderer of a worker process (render_all)


def _start_worker(roots: dict[str, str], load: Loader) -> None:
    global _worker
    _worker = PdfRenderer(roots, load)
    _ = _worker.html_class()
    gc.collect()
    gc.freeze()  # the modules, WeasyPrint's tables: never garbage, no collection need look at them again


def _render_in_worker(document: Document) -> tuple[bytes, list[str], list[str]]:
    """Lay out one document in a worker process. The cyclic garbage collector is off while it runs
    (a layout allocates millions of objects, most of them alive until the end: the collector's
    passes over them were ~10 % of the CPU, docs/pdf.md) and collects once after it."""
    assert _worker is not None
    fetcher = _worker.fetcher()
    gc.disable()
    try:
        pdf = _worker.render(document.html, stylesheets=document.stylesheets, css=document.css, fetcher=fetcher)
    finally:
        gc.enable()
        gc.collect()  # the layout's reference cycles, before the next document
    return pdf, fetcher.fetched, fetcher.refused


def _collect(future: Future[tuple[bytes, list[str], list[str]]], fetcher: StaticOnlyFetcher) -> bytes:
    pdf, fetched, refused = future.result()
    fetcher.fetched += fetched
    fetcher.refused += refused
    return pdf


def init_app(app: Flask, load: Loader) -> PdfRenderer:
    """Install the app's renderer; ``load`` imports WeasyPrint (called on the first PDF only).

    Called by the factory after the blueprints are registered: the fetcher serves their static folders.
    """
    pdf = PdfRenderer(static_roots(app), load)
    app.extensions["lms.pdf"] = pdf
    return pdf


def renderer(app: Flask | None = None) -> PdfRenderer:
    """The app's PDF renderer."""
    pdf: PdfRenderer = (app or current_app).extensions["lms.pdf"]
    return pdf
