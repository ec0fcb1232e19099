"""Rubric files: JSON and CSV round trips, the formula guard, and bad files refused clearly."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest
from flask_babel import force_locale
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.rubrics.io import HEADER, RubricFileError, from_csv, from_json, read_file, to_csv, to_json
from lms.rubrics.services import CriterionData, LevelData, RubricData


def sample() -> RubricData:
    return RubricData(
        title="Rubrik refleksi",
        description='Untuk refleksi, termasuk "kutipan", koma; dan titik koma.',
        criteria=[
            CriterionData(
                "Relevansi bagi instansi",
                "Kaitan dengan instansi sendiri",
                Decimal("1.5"),
                [
                    LevelData("Kurang", Decimal(1), "Tidak ada kaitan"),
                    LevelData("Baik", Decimal("2.5"), "Ada kaitan, dengan contoh"),
                    LevelData("Sangat baik", Decimal(4), "Baris pertama\nbaris kedua"),
                ],
            ),
            CriterionData(
                "=Kedalaman",
                "-dimulai dengan minus",
                Decimal(2),
                [
                    LevelData("@mention", Decimal(0), "+plus"),
                    LevelData("'kutip", Decimal("0.25"), "\ttab"),
                ],
            ),
        ],
    )


def csv_text(rows: list[list[str]], header: list[str] | tuple[str, ...] = HEADER, delimiter: str = ",") -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


GOOD_ROWS = [
    ["Clarity", "Structure and language", "1", "Beginning", "Hard to follow", "1"],
    ["Clarity", "", "", "Exemplary", "Easy to act on", "4"],
    ["Evidence", "Sources", "2", "None", "", "0"],
    ["Evidence", "", "", "Strong", "Every point", "3.5"],
]


# -- round trips ---------------------------------------------------------------------------------


def test_json_round_trip_keeps_everything():
    data = sample()
    text = to_json(data)
    assert json.loads(text)["criteria"][0]["weight"] == 1.5  # numbers stay numbers
    assert from_json(text) == data
    assert from_json(text.encode("utf-8")) == data


def test_csv_round_trip_keeps_everything():
    data = sample()
    assert from_csv(to_csv(data), title=data.title, description=data.description) == data
    assert from_csv(to_csv(data).encode("utf-8"), title=data.title, description=data.description) == data


def test_csv_export_has_bom_exact_header_guarded_text_and_plain_numbers():
    text = to_csv(sample())
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    assert rows[0] == list(HEADER)
    assert ",".join(rows[0]) == "criterion,criterion_description,weight,level,level_description,points"
    assert len(rows) == 1 + 5  # one row per level
    equals = rows[4]
    assert equals[0] == "'=Kedalaman" and equals[1] == "'-dimulai dengan minus"
    assert equals[3] == "'@mention" and equals[4] == "'+plus"
    assert rows[5][3] == "''kutip" and rows[5][4] == "'\ttab"
    assert equals[2] == "2" and rows[2][5] == "2.5" and rows[5][5] == "0.25"  # numbers are never guarded
    assert rows[1][2] == "1.5"


def test_csv_weight_and_description_come_from_a_criterions_first_row():
    data = from_csv(csv_text(GOOD_ROWS), title="T")
    assert [c.title for c in data.criteria] == ["Clarity", "Evidence"]
    assert data.criteria[0].description == "Structure and language"
    assert data.criteria[1].weight == Decimal(2)
    assert [lv.points for lv in data.criteria[1].levels] == [Decimal(0), Decimal("3.5")]


def test_csv_from_an_indonesian_spreadsheet_semicolons_decimal_commas_and_bom():
    rows = [[cell.replace(".", ",") for cell in row] for row in GOOD_ROWS]
    raw = ("\ufeff" + csv_text(rows, delimiter=";")).encode("utf-8")
    data = read_file(raw, title="Dari Excel")
    assert data.title == "Dari Excel"
    assert data.criteria[1].levels[1].points == Decimal("3.5")


def test_csv_empty_weight_means_one():
    rows = [["A", "", "", "x", "", "1"], ["A", "", "", "y", "", "2"]]
    assert from_csv(csv_text(rows)).criteria[0].weight == Decimal(1)


def test_read_file_tells_json_from_csv_by_content():
    data = sample()
    assert read_file(to_json(data).encode("utf-8")) == data
    assert read_file(to_csv(data).encode("utf-8"), title=data.title).criteria == data.criteria


# -- a property: any valid rubric survives both formats -------------------------------------------

_chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
_text = st.text(_chars, max_size=30)
_name = st.text(_chars, min_size=1, max_size=30).filter(lambda s: s.strip())
_points = st.decimals(min_value=0, max_value=Decimal("999999.99"), places=2, allow_nan=False, allow_infinity=False)
_weight = st.decimals(
    min_value=Decimal("0.01"), max_value=Decimal("999999.99"), places=2, allow_nan=False, allow_infinity=False
)
_level = st.builds(LevelData, label=_name, points=_points, descriptor=_text)
_criterion = st.builds(
    CriterionData,
    title=_name,
    description=_text,
    weight=_weight,
    levels=st.lists(_level, min_size=2, max_size=5, unique_by=lambda lv: lv.label.strip().casefold()),
)
_rubric = st.builds(
    RubricData,
    title=_name,
    description=_text,
    criteria=st.lists(_criterion, min_size=1, max_size=4, unique_by=lambda c: c.title.strip().casefold()),
)


@settings(max_examples=150, deadline=None, database=None)
@given(_rubric)
def test_any_valid_rubric_round_trips_through_json_and_csv(data):
    assert from_json(to_json(data)) == data
    assert from_csv(to_csv(data), title=data.title, description=data.description) == data
    assert from_csv(to_csv(data, delimiter=";"), title=data.title, description=data.description) == data


# -- bad files -----------------------------------------------------------------------------------

BAD_FILES = {
    "empty": ("", "empty"),
    "only white space and a BOM": ("\ufeff \r\n", "empty"),
    "not JSON": ('{"title": "x", "criteria": [', "not valid JSON"),
    "JSON list": ("[1, 2]", "one rubric"),
    "JSON without criteria": ('{"title": "x"}', "no criteria"),
    "JSON points text": (
        '{"title": "x", "criteria": [{"title": "Clarity", "levels": [{"label": "a", "points": "lots"}, '
        '{"label": "b", "points": 2}]}]}',
        "Criterion 1 (Clarity), level 1: the points lots are not a number",
    ),
    "JSON NaN": ('{"title": "x", "criteria": [{"title": "C", "weight": NaN, "levels": []}]}', "not valid JSON"),
    "JSON one level": (
        '{"title": "x", "criteria": [{"title": "Clarity", "levels": [{"label": "a", "points": 1}]}]}',
        "Criterion 1 (Clarity) needs at least two levels",
    ),
    "JSON negative points": (
        '{"title": "x", "criteria": [{"title": "Clarity", "levels": [{"label": "a", "points": -1}, '
        '{"label": "b", "points": 2}]}]}',
        "points cannot be negative",
    ),
    "wrong header": (
        csv_text(GOOD_ROWS, header=["kriteria", "deskripsi", "bobot", "level", "x", "poin"]),
        "lacks the column(s)",
    ),
    "missing column": (csv_text([r[:5] for r in GOOD_ROWS], header=HEADER[:5]), "lacks the column(s) points"),
    "unknown column": (
        csv_text([[*r, "x"] for r in GOOD_ROWS], header=[*HEADER, "note"]),
        "unknown or repeated columns (note)",
    ),
    "header only": (csv_text([]), "no levels"),
    "points not a number": (
        csv_text([GOOD_ROWS[0], [*GOOD_ROWS[1][:5], "empat"]]),
        "Row 3: the points empat are not a number",
    ),
    "points missing": (csv_text([GOOD_ROWS[0], GOOD_ROWS[1][:5]]), "Row 3: the points are missing"),
    "weight not a number": (
        csv_text([["Clarity", "", "berat", "a", "", "1"], GOOD_ROWS[1]]),
        "Row 2: the weight berat is not a number",
    ),
    "weight zero": (
        csv_text([["Clarity", "", "0", "a", "", "1"], GOOD_ROWS[1]]),
        "Row 2: the weight must be more than 0",
    ),
    "negative points": (csv_text([GOOD_ROWS[0], [*GOOD_ROWS[1][:5], "-2"]]), "Row 3: points cannot be negative"),
    "one level": (
        csv_text(GOOD_ROWS[:3] + [["Evidence2", "", "", "Strong", "", "3"]]),
        "Criterion 2 (Evidence) needs at least two levels",
    ),
    "empty criterion": (csv_text([GOOD_ROWS[0], ["", "", "", "b", "", "2"]]), "Row 3: the criterion is empty"),
    "unquoted comma": (
        "criterion,criterion_description,weight,level,level_description,points\r\nClarity,,1,a,Short, but clear,1\r\n",
        "Row 2 has more cells than the header",
    ),
    "repeated level": (
        csv_text([GOOD_ROWS[0], [*GOOD_ROWS[1][:3], "beginning", "", "2"]]),
        "has the level beginning twice",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_are_refused_with_a_message_naming_the_place(ctx, case):
    content, expected = BAD_FILES[case]
    with pytest.raises(RubricFileError) as info, force_locale("en"):
        read_file(content.encode("utf-8"), title="T")
    with force_locale("en"):
        assert expected in str(info.value.message), str(info.value.message)


def test_spreadsheet_and_binary_files_are_refused(ctx):
    for raw in (b"PK\x03\x04rest-of-an-xlsx", b"\x89PNG\r\n\x1a\n\x00\x00\x00"):
        with pytest.raises(RubricFileError):
            read_file(raw)
