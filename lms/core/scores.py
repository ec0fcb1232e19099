"""Exact score arithmetic: compute with fractions, round once, half-up, at the edge.

``Decimal`` division rounds to the context's 28 digits, so a sum of thirds that is exactly 65.625
can come out as 65.62499…9 and round down. Every score of Tolok is therefore computed as a
:class:`~fractions.Fraction` from the stored points and weights (which are exact decimals) and
turned into a two-place ``Decimal`` by :func:`half_up` only where it is shown or stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Context, Decimal, Inexact
from fractions import Fraction
from functools import reduce
from typing import Any

TWO_PLACES = Decimal("0.01")


def exact(value: Any) -> Fraction:
    """A number as an exact fraction; floats (SQLite's SUM/AVG) are read by their shortest repr."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float):
        return Fraction(Decimal(repr(value)))
    return Fraction(value)


def half_up(value: Any, places: int = 2) -> Decimal:
    """Round exactly, half away from zero, to ``places`` decimals (65.625 → 65.63, −0.005 → −0.01)."""
    if isinstance(value, Decimal | int | str) and not isinstance(value, bool):
        # Quantizing a decimal is exact (only division rounds), and much cheaper than a fraction.
        # Strings are scores kept as text (the grade audit's JSON).
        return Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    fraction = exact(value)
    scale = 10**places
    scaled = abs(fraction) * scale
    whole = (scaled.numerator * 2 + scaled.denominator) // (scaled.denominator * 2)
    if fraction < 0:
        whole = -whole
    return Decimal(whole).scaleb(-places).quantize(Decimal(1).scaleb(-places))


# Adds decimals exactly or raises (Inexact): sums of stored scores never need rounding.
_EXACT_SUM = Context(prec=60, traps=[Inexact])


def mean(values: Iterable[Any]) -> Fraction | None:
    """The exact mean, or None for no values."""
    items = list(values)
    if not items:
        return None
    if all(type(v) is Decimal for v in items):
        # Decimals add exactly (checked): one fraction for the division instead of one per value.
        try:
            return Fraction(reduce(_EXACT_SUM.add, items, Decimal(0))) / len(items)
        except Inexact:
            pass
    return sum((exact(v) for v in items), Fraction(0)) / len(items)
