"""Times are stored in UTC and typed and shown in the app's time zone (WIB by default)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import overload
from zoneinfo import ZoneInfo

from flask import current_app


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])


@overload
def to_utc(local: datetime) -> datetime: ...
@overload
def to_utc(local: None) -> None: ...
def to_utc(local: datetime | None) -> datetime | None:
    """A time typed in the local zone (naive, from a form) as an aware UTC time."""
    if local is None:
        return None
    if local.tzinfo is None:
        local = local.replace(tzinfo=local_zone())
    return local.astimezone(UTC)


@overload
def to_local_naive(value: datetime) -> datetime: ...
@overload
def to_local_naive(value: None) -> None: ...
def to_local_naive(value: datetime | None) -> datetime | None:
    """An aware time as the naive local time a ``datetime-local`` input shows."""
    if value is None:
        return None
    return value.astimezone(local_zone()).replace(tzinfo=None)


def now_utc() -> datetime:
    return datetime.now(UTC)


def today_local() -> date:
    """Today's date where the app's people are (WIB by default), not the server's."""
    return datetime.now(local_zone()).date()
