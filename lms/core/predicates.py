"""Predikat bands: from a final score to the words on a certificate (see DOMAIN.md)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TypedDict

from flask_babel import lazy_gettext as _l


class Band(TypedDict):
    above: float | None  # the score must be strictly greater; None marks the lowest band
    label: str


DEFAULT_BANDS: list[Band] = [
    {"above": 90, "label": "Sangat Memuaskan"},
    {"above": 80, "label": "Memuaskan"},
    {"above": 70, "label": "Cukup Memuaskan"},
    {"above": 60, "label": "Kurang Memuaskan"},
    {"above": None, "label": "Tidak Memuaskan"},
]


def predicate_for(score: float | None, bands: list[Band]) -> str | None:
    """The first band whose threshold the score is strictly above; None for no score."""
    if score is None:
        return None
    for band in bands:
        if band["above"] is None or score > band["above"]:
            return band["label"]
    return None


def bands_to_text(bands: list[Band]) -> str:
    lines = []
    for band in bands:
        above = "*" if band["above"] is None else f"{band['above']:g}"
        lines.append(f"{above} | {band['label']}")
    return "\n".join(lines)


class BandsError(ValueError):
    pass


def parse_bands(text: str) -> list[Band]:
    """Parse lines ``90 | Sangat Memuaskan`` … ``* | Tidak Memuaskan``.

    Thresholds must fall strictly from top to bottom and the last line must be ``*`` (the rest).
    Raises :class:`BandsError` with the line number that is wrong.
    """
    bands: list[Band] = []
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2:
        raise BandsError(_l("At least two bands are needed."))
    for number, line in enumerate(lines, start=1):
        if "|" not in line:
            raise BandsError(_l("Line %(n)s: write 'threshold | label'.", n=number))
        left, label = (part.strip() for part in line.split("|", 1))
        if not label:
            raise BandsError(_l("Line %(n)s: the label is empty.", n=number))
        if left == "*":
            if number != len(lines):
                raise BandsError(_l("Line %(n)s: '*' (every lower score) must be the last line.", n=number))
            bands.append({"above": None, "label": label})
            continue
        try:
            above = float(Decimal(left.replace(",", ".")))
        except InvalidOperation:
            raise BandsError(_l("Line %(n)s: %(value)s is not a number.", n=number, value=left)) from None
        if not 0 <= above <= 100:
            raise BandsError(_l("Line %(n)s: the threshold must lie between 0 and 100.", n=number))
        if bands and bands[-1]["above"] is not None and above >= bands[-1]["above"]:
            raise BandsError(_l("Line %(n)s: thresholds must fall from top to bottom.", n=number))
        bands.append({"above": above, "label": label})
    if bands[-1]["above"] is not None:
        raise BandsError(_l("The last line must be '* | label' for every lower score."))
    return bands
