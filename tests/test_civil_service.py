"""NIP and pangkat/golongan rules (DOMAIN.md), and the predikat bands."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from lms.core.civil_service import GOLONGAN, NipError, format_nip, normalize_golongan, validate_nip
from lms.core.predicates import (
    DEFAULT_BANDS,
    BandsError,
    bands_to_text,
    parse_bands,
    predicate_for,
)

VALID = "198609262015051001"


def reason(exc_info: pytest.ExceptionInfo) -> str:
    """The refusal as an English sentence (messages are lazy; the ``ctx`` fixture gives them a context)."""
    with force_locale("en"):
        return str(exc_info.value.args[0])


# -- NIP -----------------------------------------------------------------------------------------


def test_valid_nip_is_accepted_and_shown_grouped():
    assert validate_nip(VALID) == VALID
    assert format_nip(VALID) == "19860926 201505 1 001"


@pytest.mark.parametrize(
    "typed",
    [
        "19860926 201505 1 001",
        " 19860926 201505 1 001 ",
        "19860926-201505-1-001",
        "19860926.201505.1.001",
    ],
)
def test_nip_typed_with_separators_is_stored_as_18_digits(typed):
    assert validate_nip(typed) == VALID


def test_women_and_other_serials_are_accepted():
    assert validate_nip("199012312019032999") == "199012312019032999"
    assert validate_nip("196001011985012001") == "196001011985012001"


def test_format_nip_leaves_what_is_not_an_nip_alone():
    assert format_nip(None) == ""
    assert format_nip("12345") == "12345"


@pytest.mark.parametrize(
    ("nip", "why"),
    [
        ("", "NIP is required"),
        ("   ", "NIP is required"),
        ("19860926201505100", "18 digits, not 17"),
        ("1986092620150510011", "18 digits, not 19"),
        ("19860926 201505 1 0O1", "digits only"),  # a letter O typed for a zero
        ("NIP198609262015051", "digits only"),
        ("198613262015051001", "valid birth date"),  # month 13
        ("198602302015051001", "valid birth date"),  # 30 February
        ("198600262015051001", "valid birth date"),  # month 00
        ("198609322015051001", "valid birth date"),  # day 32
        ("198609262015131001", "appointment month"),  # appointment month 13
        ("198609262015001001", "appointment month"),  # appointment month 00
        ("198609261985051001", "not after the birth date"),  # appointed before being born
        ("198609261986091001", "not after the birth date"),  # appointed in the month of birth
        ("198609262015053001", "(sex) must be 1 or 2"),
        ("198609262015050001", "(sex) must be 1 or 2"),
        ("198609262015051000", "cannot be 000"),
    ],
)
def test_invalid_nip_is_refused_with_the_reason(ctx, nip, why):
    with pytest.raises(NipError) as exc_info:
        validate_nip(nip)
    assert why in reason(exc_info)


@pytest.mark.parametrize(
    "nip",
    [
        "19860926²⁰¹⁵⁰⁵1001",  # superscript digits pasted from a document
        "198609262015051００1",  # full-width digits from an IME
    ],
)
def test_non_ascii_digits_are_refused_as_an_nip_error(ctx, nip):
    # Only ASCII digits make an NIP; anything else must be a NipError (the roster and enrol form
    # catch NipError, so any other exception would be a server error for the user).
    with pytest.raises(NipError):
        validate_nip(nip)


# -- golongan ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("III/a", "III/a"),
        ("iii-a", "III/a"),
        ("3a", "III/a"),
        ("3/A", "III/a"),
        (" III / b ", "III/b"),
        ("II.c", "II/c"),
        ("1d", "I/d"),
        ("IV/e", "IV/e"),
        ("4e", "IV/e"),
        ("III/a Penata Muda", "III/a"),
        ("iv/b pembina tingkat i", "IV/b"),
        ("Pembina Utama (IV/e)", "IV/e"),
        ("Penata, III/c", "III/c"),
    ],
)
def test_golongan_is_normalised_to_its_code(raw, code):
    assert normalize_golongan(raw) == code


@pytest.mark.parametrize("raw", ["V/a", "III/f", "I/e", "II/e", "5a", "", None, "Penata", "III/a Pembina", "golongan"])
def test_unknown_golongan_gives_none(raw):
    assert normalize_golongan(raw) is None


def test_every_golongan_code_and_pangkat_name_round_trip():
    assert len(GOLONGAN) == 17
    for code, name in GOLONGAN.items():
        assert normalize_golongan(code) == code
        assert normalize_golongan(code.lower()) == code
        assert normalize_golongan(f"{code} {name}") == code


# -- predikat bands ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "label"),
    [
        (100, "Sangat Memuaskan"),
        (90.01, "Sangat Memuaskan"),
        (90, "Memuaskan"),
        (80.5, "Memuaskan"),
        (80, "Cukup Memuaskan"),
        (70, "Kurang Memuaskan"),
        (60.01, "Kurang Memuaskan"),
        (60, "Tidak Memuaskan"),
        (0, "Tidak Memuaskan"),
        (None, None),
    ],
)
def test_predicate_for_uses_strictly_greater_thresholds(score, label):
    assert predicate_for(score, DEFAULT_BANDS) == label


def test_bands_text_round_trips():
    text = bands_to_text(DEFAULT_BANDS)
    assert text.splitlines()[0] == "90 | Sangat Memuaskan"
    assert text.splitlines()[-1] == "* | Tidak Memuaskan"
    assert parse_bands(text) == DEFAULT_BANDS


def test_parse_bands_accepts_decimal_comma_and_blank_lines():
    bands = parse_bands("\n85,5 | Baik\n\n* | Lainnya\n")
    assert bands == [{"above": 85.5, "label": "Baik"}, {"above": None, "label": "Lainnya"}]
    assert predicate_for(85.5, bands) == "Lainnya"
    assert predicate_for(85.51, bands) == "Baik"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("80 | Memuaskan\n90 | Sangat Memuaskan\n* | Tidak Memuaskan", "Line 2: thresholds must fall"),
        ("90 | A\n90 | B\n* | C", "Line 2: thresholds must fall"),
        ("90 | Sangat Memuaskan\n80 | Memuaskan", "last line must be '* | label'"),
        ("* | Semua\n90 | Sangat Memuaskan", "Line 1: '*' (every lower score) must be the last line"),
        ("sembilan puluh | Sangat Memuaskan\n* | Tidak Memuaskan", "Line 1: sembilan puluh is not a number"),
        ("90 | A\n8O | B\n* | C", "Line 2: 8O is not a number"),
        ("120 | Luar Biasa\n* | Biasa", "Line 1: the threshold must lie between 0 and 100"),
        ("90 Sangat Memuaskan\n* | Tidak", "Line 1: write 'threshold | label'"),
        ("90 | \n* | Tidak", "Line 1: the label is empty"),
        ("* | Semua", "At least two bands"),
    ],
)
def test_parse_bands_refuses_bad_text_naming_the_line(ctx, text, why):
    with pytest.raises(BandsError) as exc_info:
        parse_bands(text)
    assert why in reason(exc_info)
