"""Rubric files: JSON and CSV, written and read back without loss.

JSON holds one rubric::

    {"title": "Reflection rubric", "description": "…",
     "criteria": [{"title": "Clarity", "description": "…", "weight": 1,
                   "levels": [{"label": "Beginning", "points": 1, "descriptor": "…"}, …]}, …]}

Weights and points are JSON numbers (a numeric string such as "2.5" is accepted too); the
descriptions and descriptor may be left out.

CSV has one row per level under exactly the header ``criterion,criterion_description,weight,level,
level_description,points``. Consecutive rows with the same criterion belong to it; its weight and
description are read from its first row (an empty weight means 1). A CSV file carries no rubric
title or description: the caller gives them. Files are written as UTF-8 with a byte-order mark so
that spreadsheets read them right; reading accepts the mark, commas or semicolons between cells and
decimal commas ("2,5"), which Indonesian spreadsheets write.

Every text cell written to CSV passes the formula guard of :mod:`lms.core.spreadsheet` and
reading removes it again, so a round trip returns the same text; weights and points are numbers
and are never guarded.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l

from lms.core.spreadsheet import csv_writer, guard, unguard
from lms.rubrics.services import CriterionData, LevelData, RubricData, problems

HEADER = ("criterion", "criterion_description", "weight", "level", "level_description", "points")
MAX_ROWS = 2000


class RubricFileError(ValueError):
    """The file cannot become a rubric; ``message`` says why, in the user's language, naming the
    row or criterion."""

    def __init__(self, message: Any) -> None:
        super().__init__(message)
        self.message = message


# -- shared --------------------------------------------------------------------------------------


def parse_number(value: Any) -> Decimal | None:
    """A finite Decimal from a JSON number or a text such as "2", "2.5" or "2,5"; None if it is none."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal | int):
        number = Decimal(value)
    elif isinstance(value, str):
        text = value.strip().replace(" ", "")
        if "," in text and "." not in text:
            text = text.replace(",", ".")
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
    else:
        return None
    return number if number.is_finite() else None


def _plain(number: Decimal) -> str:
    """A decimal without exponent: 100, not 1E+2."""
    text = format(Decimal(number), "f")
    return text


def _check(data: RubricData) -> RubricData:
    """Refuse a file whose criteria or levels break the rubric rules; its title is the caller's."""
    found = {key: msgs for key, msgs in problems(data).items() if key not in {"title", "description"}}
    if found:
        raise RubricFileError(next(iter(found.values()))[0])
    return data


def _text(data: bytes | str) -> str:
    if isinstance(data, bytes):
        if data[:4] == b"PK\x03\x04" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
            raise RubricFileError(_l("Spreadsheet files cannot be read: save the file as CSV (UTF-8) first."))
        if b"\x00" in data[:4096]:
            raise RubricFileError(_l("This is not a JSON or CSV file."))
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")  # a CSV saved by Excel on Windows
    else:
        text = data
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise RubricFileError(_l("The file is empty."))
    return text


def read_file(data: bytes | str, *, title: str = "") -> RubricData:
    """A rubric from a JSON or CSV file, told apart by content, never by the file's name."""
    text = _text(data)
    if text.lstrip()[:1] in ("{", "["):
        return from_json(text)
    return from_csv(text, title=title)


# -- JSON ----------------------------------------------------------------------------------------


def _json_number(number: Decimal) -> int | float | str:
    number = Decimal(number)
    if number == number.to_integral_value():
        return int(number)
    as_float = float(number)
    # Exact as a JSON number when the float reads back as the same decimal; else keep the digits.
    return as_float if Decimal(repr(as_float)) == number else _plain(number)


def to_json(data: RubricData) -> str:
    """The rubric as a JSON document (UTF-8 text, indented)."""
    document = {
        "title": str(data.title),
        "description": str(data.description or ""),
        "criteria": [
            {
                "title": str(c.title),
                "description": str(c.description or ""),
                "weight": _json_number(c.weight),
                "levels": [
                    {"label": str(lv.label), "points": _json_number(lv.points), "descriptor": str(lv.descriptor or "")}
                    for lv in c.levels
                ],
            }
            for c in data.criteria
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _refuse_constant(name: str) -> Any:
    raise ValueError(name)


def _optional_text(obj: dict[str, Any], key: str, where: Any) -> str:
    value = obj.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RubricFileError(_l("%(where)s: %(key)s must be text.", where=where, key=key))
    return value


def from_json(text: bytes | str) -> RubricData:
    """A rubric from the JSON shape described above; a bad file raises :class:`RubricFileError`."""
    text = _text(text)
    try:
        document = json.loads(text, parse_float=Decimal, parse_int=Decimal, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise RubricFileError(
            _l("The file is not valid JSON (line %(line)s, column %(column)s).", line=exc.lineno, column=exc.colno)
        ) from None
    except (ValueError, RecursionError):
        raise RubricFileError(_l("The file is not valid JSON.")) from None
    if not isinstance(document, dict):
        raise RubricFileError(_l("The JSON file must hold one rubric: an object with a title and criteria."))
    rubric_where = _l("The rubric")
    title = _optional_text(document, "title", rubric_where)
    description = _optional_text(document, "description", rubric_where)
    criteria_in = document.get("criteria")
    if not isinstance(criteria_in, list) or not criteria_in:
        raise RubricFileError(_l("The JSON file has no criteria: it needs a list under criteria."))
    criteria: list[CriterionData] = []
    for i, raw in enumerate(criteria_in, start=1):
        where = _l("Criterion %(n)s", n=i)
        if not isinstance(raw, dict):
            raise RubricFileError(_l("%(where)s is not an object with a title and levels.", where=where))
        c_title = _optional_text(raw, "title", where)
        if c_title.strip():
            where = _l("Criterion %(n)s (%(name)s)", n=i, name=c_title.strip())
        weight_raw = raw.get("weight", 1)
        weight = parse_number(weight_raw)
        if weight is None:
            raise RubricFileError(_l("%(where)s: the weight %(value)s is not a number.", where=where, value=weight_raw))
        if weight <= 0:
            raise RubricFileError(_l("%(where)s: the weight must be more than 0.", where=where))
        levels_in = raw.get("levels")
        if not isinstance(levels_in, list):
            raise RubricFileError(_l("%(where)s has no list of levels.", where=where))
        levels: list[LevelData] = []
        for j, level_raw in enumerate(levels_in, start=1):
            level_where = _l("%(where)s, level %(level)s", where=where, level=j)
            if not isinstance(level_raw, dict):
                raise RubricFileError(_l("%(where)s is not an object with a label and points.", where=level_where))
            if "points" not in level_raw:
                raise RubricFileError(_l("%(where)s: the points are missing.", where=level_where))
            points = parse_number(level_raw["points"])
            if points is None:
                raise RubricFileError(
                    _l(
                        "%(where)s: the points %(value)s are not a number.",
                        where=level_where,
                        value=level_raw["points"],
                    )
                )
            if points < 0:
                raise RubricFileError(_l("%(where)s: points cannot be negative.", where=level_where))
            levels.append(
                LevelData(
                    label=_optional_text(level_raw, "label", level_where),
                    points=points,
                    descriptor=_optional_text(level_raw, "descriptor", level_where),
                )
            )
        criteria.append(
            CriterionData(
                title=c_title, description=_optional_text(raw, "description", where), weight=weight, levels=levels
            )
        )
    return _check(RubricData(title=title, description=description, criteria=criteria))


# -- CSV -----------------------------------------------------------------------------------------


def to_csv(data: RubricData, delimiter: str = ",") -> str:
    """The rubric's levels as CSV text, one row per level, starting with a byte-order mark."""
    out = io.StringIO()
    writer = csv_writer(out, delimiter=delimiter)
    writer.writerow(HEADER)
    for c in data.criteria:
        for lv in c.levels:
            writer.writerow(
                [
                    guard(str(c.title)),
                    guard(str(c.description or "")),
                    _plain(c.weight),
                    guard(str(lv.label)),
                    guard(str(lv.descriptor or "")),
                    _plain(lv.points),
                ]
            )
    return "\ufeff" + out.getvalue()


def _positions(header: list[str]) -> dict[str, int]:
    names = [cell.strip().lower() for cell in header]
    while names and not names[-1]:
        names.pop()
    expected = ",".join(HEADER)
    missing = [name for name in HEADER if name not in names]
    if missing:
        raise RubricFileError(
            _l(
                "The header row lacks the column(s) %(missing)s. The first row must be: %(expected)s",
                missing=", ".join(missing),
                expected=expected,
            )
        )
    unknown = [name or "?" for name in names if name not in HEADER]
    if unknown or len(names) != len(HEADER):
        raise RubricFileError(
            _l(
                "The header row has unknown or repeated columns (%(unknown)s). The first row must be: %(expected)s",
                unknown=", ".join(unknown) or ", ".join(names),
                expected=expected,
            )
        )
    return {name: names.index(name) for name in HEADER}


def from_csv(text: bytes | str, *, title: str = "", description: str = "") -> RubricData:
    """A rubric from CSV rows (see the module's docstring); a bad file raises :class:`RubricFileError`."""
    text = _text(text)
    first_line = text.splitlines()[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    criteria: list[CriterionData] = []
    try:
        header = next(reader)
        at = _positions(header)
        width = len(HEADER)
        rows = 0
        for number, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            rows += 1
            if rows > MAX_ROWS:
                raise RubricFileError(_l("The file has more than %(n)s rows.", n=MAX_ROWS))
            if any(cell.strip() for cell in row[width:]):
                raise RubricFileError(
                    _l(
                        "Row %(row)s has more cells than the header; put text that holds a comma or semicolon in quotes.",
                        row=number,
                    )
                )
            row = row + [""] * (width - len(row))
            cell = {name: row[at[name]] for name in HEADER}
            name = unguard(cell["criterion"])
            if not name.strip():
                raise RubricFileError(_l("Row %(row)s: the criterion is empty.", row=number))
            if not criteria or criteria[-1].title != name:
                weight = Decimal(1) if not cell["weight"].strip() else parse_number(cell["weight"])
                if weight is None:
                    raise RubricFileError(
                        _l("Row %(row)s: the weight %(value)s is not a number.", row=number, value=cell["weight"])
                    )
                if weight <= 0:
                    raise RubricFileError(_l("Row %(row)s: the weight must be more than 0.", row=number))
                criteria.append(
                    CriterionData(title=name, description=unguard(cell["criterion_description"]), weight=weight)
                )
            label = unguard(cell["level"])
            if not label.strip():
                raise RubricFileError(_l("Row %(row)s: the level is empty.", row=number))
            if not cell["points"].strip():
                raise RubricFileError(_l("Row %(row)s: the points are missing.", row=number))
            points = parse_number(cell["points"])
            if points is None:
                raise RubricFileError(
                    _l("Row %(row)s: the points %(value)s are not a number.", row=number, value=cell["points"])
                )
            if points < 0:
                raise RubricFileError(_l("Row %(row)s: points cannot be negative.", row=number))
            criteria[-1].levels.append(
                LevelData(label=label, points=points, descriptor=unguard(cell["level_description"]))
            )
    except csv.Error as exc:
        raise RubricFileError(
            _l("The CSV file is malformed at row %(row)s: %(why)s", row=reader.line_num, why=str(exc))
        ) from None
    if not criteria:
        raise RubricFileError(_l("The file has a header but no levels."))
    return _check(RubricData(title=title, description=description, criteria=criteria))
