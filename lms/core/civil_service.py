"""Indonesian civil-service identity: NIP and pangkat/golongan (see DOMAIN.md)."""

from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l

# Golongan in rank order with their pangkat names.
GOLONGAN: dict[str, str] = {
    "I/a": "Juru Muda",
    "I/b": "Juru Muda Tingkat I",
    "I/c": "Juru",
    "I/d": "Juru Tingkat I",
    "II/a": "Pengatur Muda",
    "II/b": "Pengatur Muda Tingkat I",
    "II/c": "Pengatur",
    "II/d": "Pengatur Tingkat I",
    "III/a": "Penata Muda",
    "III/b": "Penata Muda Tingkat I",
    "III/c": "Penata",
    "III/d": "Penata Tingkat I",
    "IV/a": "Pembina",
    "IV/b": "Pembina Tingkat I",
    "IV/c": "Pembina Utama Muda",
    "IV/d": "Pembina Utama Madya",
    "IV/e": "Pembina Utama",
}

_ROMAN = {"1": "I", "2": "II", "3": "III", "4": "IV"}
_GOLONGAN_RE = re.compile(r"^\s*(IV|III|II|I|[1-4])\s*[/\-. ]?\s*([a-e])\s*$", re.IGNORECASE)


def golongan_choices() -> list[tuple[str, str]]:
    return [(code, f"{code} — {name}") for code, name in GOLONGAN.items()]


def normalize_golongan(raw: str | None) -> str | None:
    """``III/a``, ``iii-a``, ``3a`` or ``III/a Penata Muda`` → ``III/a``; None when unknown."""
    if not raw:
        return None
    text = str(raw).strip()
    for code, name in GOLONGAN.items():
        if text.lower() in {
            f"{code} {name}".lower(),
            f"{code} - {name}".lower(),
            f"{name} ({code})".lower(),
            f"{name}, {code}".lower(),
        }:
            return code
    match = _GOLONGAN_RE.match(text)
    if not match:
        return None
    roman = _ROMAN.get(match.group(1), match.group(1).upper())
    code = f"{roman}/{match.group(2).lower()}"
    return code if code in GOLONGAN else None


class NipError(ValueError):
    """Why a NIP is not valid, as a translatable message."""


def normalize_nip(raw: str | int | None) -> str:
    """Digits only: spaces, dots and dashes that people type are dropped."""
    if raw is None:
        return ""
    text = str(raw).strip()
    if text.endswith(".0") and text[:-2].isdigit():  # a number cell from a spreadsheet
        text = text[:-2]
    return re.sub(r"[\s.\-]", "", text)


def validate_nip(raw: str | int | None) -> str:
    """Return the 18-digit NIP or raise :class:`NipError` saying what is wrong.

    Shape: birth date YYYYMMDD, appointment YYYYMM, sex digit 1 or 2, serial of three digits.
    """
    nip = normalize_nip(raw)
    if not nip:
        raise NipError(_l("NIP is required."))
    if not (nip.isascii() and nip.isdigit()):  # str.isdigit() also accepts ² and full-width digits
        raise NipError(_l("NIP may contain digits only."))
    if len(nip) != 18:
        raise NipError(_l("NIP must have 18 digits, not %(n)s.", n=len(nip)))
    try:
        birth = date(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    except ValueError:
        raise NipError(_l("NIP does not start with a valid birth date (YYYYMMDD).")) from None
    year, month = int(nip[8:12]), int(nip[12:14])
    if not 1 <= month <= 12 or year < 1900:
        raise NipError(_l("NIP digits 9–14 are not a valid appointment month (YYYYMM)."))
    if (year, month) <= (birth.year, birth.month):
        raise NipError(_l("NIP appointment date is not after the birth date."))
    if nip[14] not in "12":
        raise NipError(_l("NIP digit 15 (sex) must be 1 or 2."))
    if nip[15:] == "000":
        raise NipError(_l("NIP serial number (last three digits) cannot be 000."))
    return nip


def format_nip(nip: str | None) -> str:
    """``198609262015051001`` → ``19860926 201505 1 001``."""
    if not nip or len(nip) != 18:
        return nip or ""
    return f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}"
