"""The rubric builder, which works without JavaScript, and the small forms around rubrics.

The builder posts every criterion and level as flat fields (``c-0-title``, ``c-0-weight``,
``c-0-position``, ``c-0-l-1-label``, ``c-0-l-1-points``…) with the button pressed as ``action``:
``add-criterion``, ``add-level-<i>``, ``remove-criterion-<i>``, ``remove-level-<i>-<j>``,
``refresh`` (apply the typed order) or ``save``. Every action but ``save`` only re-renders the
form with what was typed, so nothing is lost and nothing is stored until the user saves.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from lms.core.forms import Form
from lms.rubrics.io import parse_number
from lms.rubrics.services import MAX_CRITERIA, MAX_LEVELS, CriterionData, LevelData, RubricData

_CRITERION_KEY = re.compile(r"^c-(\d{1,4})-(title|description|weight|position)$")
_LEVEL_KEY = re.compile(r"^c-(\d{1,4})-l-(\d{1,4})-(label|points|descriptor|position)$")
_ACTION = re.compile(
    r"^(save|refresh|add-criterion|add-level-(\d{1,4})|remove-criterion-(\d{1,4})|remove-level-(\d{1,4})-(\d{1,4}))$"
)
NEW_LEVELS = 2  # a new criterion starts with the two levels every criterion needs


@dataclass
class LevelRow:
    label: str = ""
    points: str = ""
    descriptor: str = ""
    order: tuple[float, int, int] = (math.inf, 1, 0)

    def blank(self) -> bool:
        return not (self.label.strip() or self.points.strip() or self.descriptor.strip())


@dataclass
class CriterionRow:
    title: str = ""
    description: str = ""
    weight: str = "1"
    levels: list[LevelRow] = field(default_factory=list)
    order: tuple[float, int, int] = (math.inf, 1, 0)

    def blank(self) -> bool:
        return not (self.title.strip() or self.description.strip()) and all(lv.blank() for lv in self.levels)


def _order(raw: str, shown_at: int) -> tuple[float, int, int]:
    """Sort key for a row shown at ``shown_at`` (0-based) whose position field holds ``raw``.

    A row the user gave a new position wins a tie with the row already there, so typing 1 moves a
    row to the top. An unreadable position keeps the row where it was.
    """
    try:
        wanted = float(raw.strip().replace(",", "."))
    except ValueError:
        wanted = float(shown_at + 1)
    if not math.isfinite(wanted):
        wanted = float(shown_at + 1)
    return (wanted, 0 if wanted != shown_at + 1 else 1, shown_at)


def _decimal_text(number: Decimal) -> str:
    return format(Decimal(number), "f")


class RubricForm(Form):
    """Title and description as WTForms fields; the criteria and levels as rows parsed here."""

    title = StringField(_l("Title"), render_kw={"maxlength": 200})
    description = TextAreaField(_l("Description"), render_kw={"rows": 2})
    review_grades = BooleanField(_l("Mark the grades given with the old version for review"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows: list[CriterionRow] = []
        self.row_errors: dict[str, list[Any]] = {}

    # -- filling ---------------------------------------------------------------------------------

    def load(self, data: RubricData) -> None:
        """Show an existing rubric (or a preset) in the builder."""
        self.title.data = str(data.title)
        self.description.data = str(data.description or "")
        self.rows = [
            CriterionRow(
                title=str(c.title),
                description=str(c.description or ""),
                weight=_decimal_text(c.weight),
                levels=[LevelRow(str(lv.label), _decimal_text(lv.points), str(lv.descriptor or "")) for lv in c.levels],
            )
            for c in data.criteria
        ]

    def start_blank(self) -> None:
        self.rows = [CriterionRow(levels=[LevelRow() for _ in range(NEW_LEVELS)])]

    def read_rows(self, formdata: Mapping[str, str]) -> None:
        """The criteria and levels as posted, in the order they were shown."""
        criteria: dict[int, dict[str, str]] = {}
        levels: dict[int, dict[int, dict[str, str]]] = {}
        for key in formdata:
            if match := _CRITERION_KEY.match(key):
                criteria.setdefault(int(match[1]), {})[match[2]] = formdata.get(key, "")
            elif match := _LEVEL_KEY.match(key):
                i, j = int(match[1]), int(match[2])
                criteria.setdefault(i, {})
                levels.setdefault(i, {}).setdefault(j, {})[match[3]] = formdata.get(key, "")
        self.rows = []
        for shown_at, i in enumerate(sorted(criteria)[: MAX_CRITERIA * 2]):
            values = criteria[i]
            row = CriterionRow(
                title=values.get("title", ""),
                description=values.get("description", ""),
                weight=values.get("weight", ""),
                order=_order(values.get("position", ""), shown_at),
            )
            for level_at, j in enumerate(sorted(levels.get(i, {}))[: MAX_LEVELS * 2]):
                lv = levels[i][j]
                row.levels.append(
                    LevelRow(
                        label=lv.get("label", ""),
                        points=lv.get("points", ""),
                        descriptor=lv.get("descriptor", ""),
                        order=_order(lv.get("position", ""), level_at),
                    )
                )
            self.rows.append(row)

    # -- editing without saving ------------------------------------------------------------------

    @staticmethod
    def known_action(action: str) -> bool:
        return bool(_ACTION.match(action or ""))

    def apply(self, action: str) -> None:
        """Carry out an add or remove button (indexes as shown), then put the rows in the typed order."""
        match = _ACTION.match(action or "")
        if match is None:
            raise ValueError(f"unknown builder action {action!r}")
        if action == "add-criterion" and len(self.rows) < MAX_CRITERIA:
            self.rows.append(CriterionRow(levels=[LevelRow() for _ in range(NEW_LEVELS)]))
        elif match[2] is not None:
            i = int(match[2])
            if i < len(self.rows) and len(self.rows[i].levels) < MAX_LEVELS:
                self.rows[i].levels.append(LevelRow())
        elif match[3] is not None:
            i = int(match[3])
            if i < len(self.rows):
                del self.rows[i]
        elif match[4] is not None:
            i, j = int(match[4]), int(match[5])
            if i < len(self.rows) and j < len(self.rows[i].levels):
                del self.rows[i].levels[j]
        self.sort()

    def sort(self) -> None:
        self.rows.sort(key=lambda row: row.order)
        for row in self.rows:
            row.levels.sort(key=lambda lv: lv.order)
            for lv in row.levels:
                lv.order = (math.inf, 1, 0)
            row.order = (math.inf, 1, 0)

    def drop_blank(self) -> None:
        """Forget rows nothing was typed into, so a spare empty level does not block saving."""
        for row in self.rows:
            row.levels = [lv for lv in row.levels if not lv.blank()]
        self.rows = [row for row in self.rows if not row.blank()]

    # -- saving ----------------------------------------------------------------------------------

    def to_data(self) -> RubricData:
        """The rows as rubric data; unreadable numbers are noted in ``row_errors`` (with a
        stand-in value, so the remaining rules can still be checked and shown at once)."""
        criteria = []
        for i, row in enumerate(self.rows):
            weight = parse_number(row.weight)
            if weight is None:
                self.add_error(f"c-{i}-weight", _l("Enter a number, e.g. 2 or 2.5."))
                weight = Decimal(1)
            levels = []
            for j, lv in enumerate(row.levels):
                points = parse_number(lv.points)
                if points is None:
                    self.add_error(f"c-{i}-l-{j}-points", _l("Enter a number, e.g. 2 or 2.5."))
                    points = Decimal(0)
                levels.append(LevelData(label=lv.label, points=points, descriptor=lv.descriptor))
            criteria.append(CriterionData(title=row.title, description=row.description, weight=weight, levels=levels))
        return RubricData(title=self.title.data or "", description=self.description.data or "", criteria=criteria)

    def add_error(self, name: str, message: Any) -> None:
        self.row_errors.setdefault(name, []).append(message)

    def add_problems(self, problems: Mapping[str, list[Any]]) -> None:
        """Put the service's problems under their fields; a field keeps only its first message."""
        for name, messages in problems.items():
            if name in ("title", "description"):
                target = getattr(self, name)
                if not target.errors:
                    target.errors = [messages[0]]
            elif name not in self.row_errors:
                self.row_errors[name] = list(messages[:1])

    def errors_for(self, name: str) -> list[Any]:
        return self.row_errors.get(name, [])

    @property
    def has_errors(self) -> bool:
        return bool(self.row_errors or self.title.errors or self.description.errors)


class ImportForm(Form):
    file = FileField(_l("Rubric file (JSON or CSV)"), validators=[FileRequired(_l("Choose a file."))])
    title = StringField(_l("Title (for a CSV file)"), validators=[Optional(), Length(max=200)])
