"""The one spreadsheet-cell guard: formulas at the start of a cell or behind a `,`/`;` separator."""

import csv
import io
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lms.core.spreadsheet import EXCEL_ID, PLAIN, csv_writer, guard, needs_guard, unguard

TRIGGERS = "=+-@\t\r\n"


@pytest.mark.parametrize(
    "text",
    [
        "=1+1",
        "+1",
        "-1",
        "@SUM(A1)",
        "\tx",
        "\rx",
        "\nx",
        "Budi;=1+1;",
        "Budi,=1+1",
        "a;+1",
        "a,-1",
        "a;@x",
        "a;\tb",
        'Budi;"=1+1"',
        "x,,=y",
    ],
)
def test_formulas_anywhere_a_spreadsheet_splits_are_guarded(text):
    assert needs_guard(text)
    assert guard(text) != text
    assert unguard(guard(text)) == text


def test_the_hidden_formula_itself_is_quoted():
    assert guard("Budi;=1+1;") == "Budi;'=1+1;"
    assert guard("=1;-2") == "'=1;'-2"
    assert guard('Siti;"=x"') == 'Siti;"\'=x"'
    assert guard("'=1") == "''=1" and unguard("''=1") == "'=1"


@pytest.mark.parametrize("text", ["Budi", "Budi, S.Pd.", "Jl. Merdeka; No. 5", "a = b", "1+1", "e-mail", ""])
def test_ordinary_text_is_left_as_typed(text):
    assert not needs_guard(text)
    assert guard(text) == text


def test_none_is_an_empty_cell():
    assert guard(None) == ""


@given(st.text(alphabet=st.sampled_from(list("ab;,'\" " + TRIGGERS)), max_size=12))
def test_unguard_gives_back_what_guard_took(text):
    assert unguard(guard(text)) == text


@given(st.text(alphabet=st.sampled_from(list("ab;,'\" 1" + TRIGGERS)), max_size=12))
def test_no_part_of_a_written_cell_starts_a_formula_whichever_separator_reads_it(text):
    out = io.StringIO()
    csv_writer(out).writerow(["x", guard(text), "y"])
    for delimiter in (",", ";"):
        for cell in next(csv.reader(io.StringIO(out.getvalue(), newline=""), delimiter=delimiter)):
            assert not cell.lstrip('"').startswith(tuple(TRIGGERS)), (text, cell)
        bare = out.getvalue().rstrip("\r\n").split(delimiter)  # a reader that ignores the quotes
        assert not any(part.lstrip('"').startswith(tuple(TRIGGERS)) for part in bare), (text, bare)


def test_excel_indonesia_dialect_writes_semicolons_decimal_commas_and_nip_as_text():
    out = io.StringIO(newline="")
    writer = csv_writer(out, dialect=EXCEL_ID)
    writer.writerow([EXCEL_ID.identifier("198701012010011001"), "Budi", EXCEL_ID.number(Decimal("85.50"))])
    assert out.getvalue() == '"=""198701012010011001""";"Budi";"85,50"\r\n'
    assert EXCEL_ID.number(3) == "3"


def test_an_identifier_that_is_not_only_digits_is_guarded_text_in_both_dialects():
    for dialect in (PLAIN, EXCEL_ID):
        assert dialect.identifier("=1+1") == "'=1+1"
        assert dialect.identifier(None) == ""
    assert PLAIN.identifier("198701012010011001") == "198701012010011001"
    assert PLAIN.number(Decimal("85.50")) == "85.50"
