"""Paginating a select: two queries (a count and one page) whatever the table's size."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from lms.core.forms import int_or_none


@dataclass
class Page:
    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first(self) -> int:
        return 0 if not self.total else (self.page - 1) * self.per_page + 1

    @property
    def last(self) -> int:
        return min(self.total, self.page * self.per_page)

    def window(self, around: int = 2) -> list[int | None]:
        """Page numbers to link, with None for the gaps: 1 … 4 5 [6] 7 8 … 20."""
        shown = {1, self.pages, *range(self.page - around, self.page + around + 1)}
        numbers = sorted(n for n in shown if 1 <= n <= self.pages)
        out: list[int | None] = []
        for n in numbers:
            if out and n - (out[-1] or 0) > 1:
                out.append(None)
            out.append(n)
        return out


def paginate(session: Session, stmt: Select[*tuple[Any, ...]], page: int, per_page: int, scalars: bool = True) -> Page:
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    result = session.execute(stmt.limit(per_page).offset((page - 1) * per_page))
    items = list(result.scalars().unique()) if scalars else list(result)
    return Page(items=items, page=page, per_page=per_page, total=total)


def page_arg(args: Any) -> int:
    """The ``page`` query argument; anything that is not a positive number means page 1."""

    raw = args.get("page", "1")
    number = int_or_none(raw)
    return number if number else 1
