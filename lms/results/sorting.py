"""Sorting the screen's result table by one of its columns."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lms.core.civil_service import GOLONGAN
from lms.results.table import ResultRow, ResultTable, canonical_order


def sort_rows(table: ResultTable, key: str, descending: bool) -> list[ResultRow]:
    """Rows sorted by a column: a core key, ``a<assessment id>`` or ``c<plugin column key>``.

    Empty cells (not graded, incomplete, nothing yet) always go last, whatever the direction; an
    unknown key falls back to the canonical order.
    """
    getter: Callable[[ResultRow], Any] | None = None
    if key in ("name", "nip", "instansi", "jabatan", "predicate"):
        getter = lambda r: (getattr(r, key) or "").casefold() or None  # noqa: E731
    elif key == "golongan":
        order = {code: i for i, code in enumerate(GOLONGAN)}
        getter = lambda r: order.get(r.golongan)  # noqa: E731
    elif key == "final":
        getter = lambda r: r.final  # noqa: E731
    elif key == "rank":
        getter = lambda r: r.rank  # noqa: E731
    elif (
        key.startswith("a")
        and key[1:].isascii()
        and key[1:].isdigit()
        and len(key) < 12
        and any(a.id == int(key[1:]) for a in table.assessments)
    ):
        aid = int(key[1:])
        getter = lambda r: r.cells[aid].score  # noqa: E731
    elif key.startswith("c") and any(c.key == key[1:] for c in table.columns):
        ckey = key[1:]
        getter = lambda r: r.extra.get(ckey)  # noqa: E731
    if getter is None:
        return sorted(table.rows, key=canonical_order)
    present = [r for r in table.rows if getter(r) is not None]
    missing = [r for r in table.rows if getter(r) is None]
    present.sort(key=lambda r: (getter(r), canonical_order(r)), reverse=descending)
    missing.sort(key=canonical_order)
    return present + missing
