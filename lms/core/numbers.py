"""Numbers and dates in the reader's language: the template filters and the exports call the same
functions here (an export job sets the language with ``force_locale``).

Numbers: built once per request instead of once per cell.

Babel's ``format_decimal`` parses the pattern and looks up the locale's symbols on every call; a
results table of 3,000 × 12 cells spent more time there than in SQL. A :class:`NumberFormatter`
does those look-ups once and then formats with plain string operations, following Babel's
algorithm step for step (same rounding, same grouping, same symbols), so that its output is the
same string Babel gives; patterns it does not handle itself go to Babel's own compiled pattern.
"""

from __future__ import annotations

import functools
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import flask_babel
from babel import Locale
from babel import dates as babel_dates
from babel.numbers import (
    NumberPattern,
    get_decimal_quantum,
    get_decimal_symbol,
    get_group_symbol,
    parse_pattern,
)
from flask import g, has_app_context
from flask_babel import get_locale

from lms.core.scores import half_up


class NumberFormatter:
    """One pattern in one locale (``"#,##0.00"`` in ``id``: 1.234,50)."""

    def __init__(self, pattern: str, locale: Locale | str) -> None:
        self.locale = Locale.parse(locale)
        self.pattern: NumberPattern = parse_pattern(pattern)
        compiled = self.pattern
        self.simple = (
            compiled.scale == 0
            and not compiled.exp_prec
            and "@" not in compiled.pattern
            and "¤" not in compiled.pattern
            and "'" not in compiled.pattern
            and compiled.grouping == (3, 3)
            and compiled.int_prec[0] <= 1
        )
        self.group = get_group_symbol(self.locale)
        self.decimal = get_decimal_symbol(self.locale)
        self.min_frac, self.max_frac = compiled.frac_prec
        self.quantum = get_decimal_quantum(self.max_frac)
        self.prefix, self.suffix = compiled.prefix, compiled.suffix

    def __call__(self, value: Any) -> str:
        if value is None:
            return ""
        if not isinstance(value, Decimal):
            value = Decimal(str(value))
        if not self.simple or not value.is_finite():
            return self.pattern.apply(value, self.locale)
        negative = int(value.is_signed())
        whole, _, fraction = f"{abs(value).quantize(self.quantum):f}".partition(".")
        number = f"{int(whole):,}".replace(",", self.group) if len(whole) > 3 else whole
        fraction = fraction or "0"
        if len(fraction) < self.min_frac:
            fraction += "0" * (self.min_frac - len(fraction))
        if self.max_frac and not (self.min_frac == 0 and int(fraction) == 0):
            fraction = fraction[: self.min_frac] + fraction[self.min_frac :].rstrip("0")
            number += self.decimal + fraction
        return self.prefix[negative] + number + self.suffix[negative]


def formatter(pattern: str, locale: Locale | str | None = None) -> NumberFormatter:
    """The formatter for ``pattern`` in ``locale`` (default: the current one), built once per
    request (or app context)."""

    if not has_app_context():
        return NumberFormatter(pattern, locale or "en")
    state = g._get_current_object()
    # Flask-Babel keeps the request's locale (and force_locale's) on g; reading it there saves the
    # proxy look-ups of get_locale(), which cost more than formatting a cell.
    if locale is None:
        locale = getattr(getattr(state, "_flask_babel", None), "babel_locale", None) or get_locale()
    cache = state.__dict__.setdefault("_lms_number_formatters", {})
    key = (locale, pattern)
    made = cache.get(key)
    if made is None:
        made = cache[key] = NumberFormatter(pattern, locale)
    return made


def format_date(value: date | None, pattern: str = "d MMMM yyyy", locale: str | None = None) -> str:
    """A date in the current locale, or ``locale`` ("12 September 2026"; "" for None); the
    ``date_id`` filter."""
    if not value:
        return ""
    if type(value) is not date:  # a datetime: Flask-Babel moves it to the reader's time zone first
        return (
            flask_babel.format_date(value, pattern)
            if locale is None
            else babel_dates.format_date(value, pattern, locale=locale)
        )
    if locale is None:
        if not has_app_context():
            return flask_babel.format_date(value, pattern)
        locale = str(getattr(getattr(g, "_flask_babel", None), "babel_locale", None) or get_locale())
    return _date_text(value, pattern, locale)


@functools.lru_cache(maxsize=4096)
def _date_text(value: date, pattern: str, locale: str) -> str:
    """A date's words in one locale: Babel parses the pattern and reads the locale's names on every
    call; a page shows the same few dates again and again."""
    return babel_dates.format_date(value, pattern, locale=locale)


def format_datetime(value: datetime | None, pattern: str = "medium", locale: str | None = None) -> str:
    """A time in the app's time zone and the current locale, or ``locale`` ("" for None); the
    ``datetime`` filter."""
    if not value:
        return ""
    if locale is None:
        return flask_babel.format_datetime(value, pattern)
    return babel_dates.format_datetime(value, pattern, tzinfo=flask_babel.get_timezone(), locale=locale)


def format_from_now(value: datetime | None, now: datetime) -> str:
    """How far ``value`` is from ``now`` in the current locale ("dalam 3 hari", "2 jam yang lalu");
    the ``from_now`` filter, for deadlines."""
    if not value:
        return ""
    return flask_babel.format_timedelta(value - now, add_direction=True)


def format_number(value: Any, pattern: str = "#,##0.##", locale: str | None = None) -> str:
    """``value`` in the current locale, or ``locale`` ("" for None); the ``number`` template filter."""
    return "" if value is None else formatter(pattern, locale)(value)


SCORE_PATTERN = "#,##0.00"  # two decimals, grouped


def format_score(value: Any, locale: str | None = None) -> str:
    """A score with two decimals in the current locale ("" for None); the ``score`` filter.

    Rounded half-up first (:func:`lms.core.scores.half_up`), as every score is; a string (the grade
    audit keeps scores as text) is read as an exact decimal.
    """

    return "" if value is None or value == "" else formatter(SCORE_PATTERN, locale)(half_up(value))
