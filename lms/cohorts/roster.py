"""Roster import: read a CSV or XLSX of participants, preview every row's problems, then import
all or nothing.

Rows are matched to people by NIP, so importing the same file twice changes nothing, and a person
already in the system is enrolled rather than created again. Existing rows are looked up in
batches of 500 (two queries per batch plus one), so a 5,000-row file previews in 21 queries.
"""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.cohorts.models import Cohort, Membership, Role
from lms.cohorts.services import (
    ensure_editable,
    known_people,
    match_participant,
    staff_accounts,
    trusted,
)
from lms.core import storage
from lms.core.civil_service import NipError, normalize_golongan, validate_nip
from lms.core.emails import clean_email, email_key
from lms.core.errors import DomainError
from lms.core.spreadsheet import csv_writer
from lms.users.models import ParticipantProfile, User

COLUMNS = ("nip", "name", "email", "instansi", "unit", "jabatan", "golongan")
REQUIRED = ("nip", "name", "email")
# Header names accepted for each column, compared lower-cased with spaces folded.
ALIASES: dict[str, set[str]] = {
    "nip": {"nip", "nomor induk pegawai", "no nip", "nip baru"},
    "name": {"name", "nama", "nama lengkap", "full name", "nama peserta"},
    "email": {"email", "e-mail", "e mail", "surel", "alamat email", "alamat surel", "surat elektronik"},
    "instansi": {"instansi", "agency", "institution", "asal instansi", "instansi asal"},
    "unit": {"unit", "unit kerja", "work unit", "satuan kerja", "satker"},
    "jabatan": {"jabatan", "position", "job title", "nama jabatan"},
    "golongan": {
        "golongan",
        "gol",
        "pangkat/golongan",
        "pangkat golongan",
        "golongan ruang",
        "gol ruang",
        "rank",
        "grade",
        "pangkat / golongan",
    },
}
_BATCH = 500


class RosterFileError(ValueError):
    """The file as a whole cannot be read; the message says why, in the user's language."""


@dataclass
class RosterRow:
    line: int  # the row number a spreadsheet shows (the header is row 1)
    values: dict[str, str]
    errors: list[Any] = field(default_factory=list)
    # new: not in the actor's cohorts (a new account, or linked to the account with this NIP and
    # email without showing it) | existing: in the actor's cohorts, will be linked | enrolled | update | error
    status: str = "new"
    user_id: int | None = None
    changes: list[str] = field(default_factory=list)
    person: tuple[str, str] | None = None  # name and email of the existing account, when the actor may see it

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class RosterPreview:
    rows: list[RosterRow]
    unknown_columns: list[str]
    # Only admins (and the system) update the profiles of people who already have an account.
    updates_profiles: bool = True

    @property
    def error_rows(self) -> list[RosterRow]:
        return [row for row in self.rows if row.errors]

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.error_rows

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status and not row.errors)


def _norm_header(text: Any) -> str:
    return re.sub(r"[\s_]+", " ", str(text or "")).strip().lower()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_table(data: bytes, filename: str, max_rows: int) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    """Header and data rows (with their row numbers) of a CSV or XLSX file, by content not name."""
    if not data.strip():
        raise RosterFileError(_l("The file is empty."))
    if data[:4] == b"PK\x03\x04":
        return _read_xlsx(data, max_rows)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise RosterFileError(_l("Old Excel files (.xls) cannot be read: save the file as .xlsx or CSV."))
    return _read_csv(data, max_rows)


def _read_csv(data: bytes, max_rows: int) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    if b"\x00" in data[:4096]:
        raise RosterFileError(_l("This is not a CSV or XLSX file."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    sample = text[:4096]
    first_line = sample.splitlines()[0] if sample else ""
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = _check_header(next(reader))
    except StopIteration:
        raise RosterFileError(_l("The file is empty.")) from None
    except csv.Error:
        raise RosterFileError(
            _l(
                "Row 1 (the header) is too long to be a header row: it must name the columns %(expected)s.",
                expected=", ".join(COLUMNS),
            )
        ) from None
    rows: list[tuple[int, list[Any]]] = []
    try:
        for number, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            rows.append((number, row))
            if len(rows) > max_rows:
                raise RosterFileError(_l("The file has more than %(n)s rows; split it.", n=max_rows))
    except csv.Error as exc:
        raise RosterFileError(
            _l("Row %(row)s: the CSV file is malformed there (%(why)s).", row=reader.line_num, why=str(exc))
        ) from None
    return header, rows


# A roster header names a few columns; anything far longer is not one (and would be echoed back).
MAX_HEADER_CELLS = 100
MAX_HEADER_CELL_CHARS = 200


def _check_header(header: list[Any]) -> list[Any]:
    if len(header) > MAX_HEADER_CELLS or any(len(_cell(v)) > MAX_HEADER_CELL_CHARS for v in header):
        raise RosterFileError(
            _l(
                "Row 1 (the header) is too long to be a header row: it must name the columns %(expected)s.",
                expected=", ".join(COLUMNS),
            )
        )
    return header


def _read_xlsx(data: bytes, max_rows: int) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise RosterFileError(_l("The XLSX file cannot be opened; save it again from your spreadsheet.")) from None
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # read what is there, not the size the file claims to have
        iterator = sheet.iter_rows(values_only=True)
        header_row = next(iterator, None)
        if header_row is None:
            raise RosterFileError(_l("The file is empty."))
        header = [_cell(v) for v in _check_header(list(header_row))]
        rows: list[tuple[int, list[Any]]] = []
        for number, values in enumerate(iterator, start=2):
            if not any(_cell(v) for v in values):
                continue
            rows.append((number, list(values)))
            if len(rows) > max_rows:
                raise RosterFileError(_l("The file has more than %(n)s rows; split it.", n=max_rows))
        return header, rows
    finally:
        workbook.close()


def map_columns(header: list[str]) -> tuple[dict[str, int], list[str]]:
    positions: dict[str, int] = {}
    unknown: list[str] = []
    for index, name in enumerate(header):
        key = _norm_header(name)
        for column, aliases in ALIASES.items():
            if key in aliases and column not in positions:
                positions[column] = index
                break
        else:
            if key:
                unknown.append(str(name))
    missing = [c for c in REQUIRED if c not in positions]
    if missing:
        raise RosterFileError(
            _l(
                "The header row lacks the column(s) %(missing)s. Expected columns: %(expected)s.",
                missing=", ".join(missing),
                expected=", ".join(COLUMNS),
            )
        )
    return positions, unknown


def preview(
    session: Session, cohort: Cohort, data: bytes, filename: str, max_rows: int, actor: User | None = None
) -> RosterPreview:
    """Every row with its problems and what importing would do, as ``actor`` may see it; reads only.

    Nothing tells a non-admin whether a NIP or email is in use outside their cohorts, or whose it is
    (see :func:`lms.cohorts.services.match_participant`).
    """
    header, raw_rows = read_table(data, filename, max_rows)
    positions, unknown = map_columns(header)
    if not raw_rows:
        raise RosterFileError(_l("The file has a header but no participants."))
    rows = [_parse_row(number, values, positions) for number, values in raw_rows]
    _check_duplicates(rows)
    _check_against_database(session, cohort, rows, actor)
    for row in rows:
        if row.errors:
            row.status = "error"
    return RosterPreview(rows=rows, unknown_columns=unknown, updates_profiles=trusted(actor))


def _parse_row(number: int, values: list[Any], positions: dict[str, int]) -> RosterRow:
    raw = {c: (values[i] if i < len(values) else None) for c, i in positions.items()}
    row = RosterRow(line=number, values={c: _cell(raw.get(c)) for c in COLUMNS})
    nip_cell = raw.get("nip")
    if isinstance(nip_cell, float):
        row.errors.append(_l("The NIP is stored as a number and has lost digits: format the column as text."))
    else:
        try:
            row.values["nip"] = validate_nip(row.values["nip"])
        except NipError as exc:
            row.errors.append(exc.args[0])
    if not row.values["name"]:
        row.errors.append(_l("The name is missing."))
    email = email_key(row.values["email"])
    if not email:
        row.errors.append(_l("The email is missing."))
    else:
        try:
            email = clean_email(email)
        except DomainError:
            row.errors.append(_l("%(email)s is not a valid email address.", email=email))
    row.values["email"] = email
    if row.values["golongan"]:
        code = normalize_golongan(row.values["golongan"])
        if code is None:
            row.errors.append(
                _l("Unknown golongan %(value)s (expected e.g. III/a or IV/b).", value=row.values["golongan"])
            )
        else:
            row.values["golongan"] = code
    for column in ("name", "instansi", "unit", "jabatan"):
        if len(row.values[column]) > 200:
            row.errors.append(_l("%(column)s is longer than 200 characters.", column=column))
    return row


def _check_duplicates(rows: list[RosterRow]) -> None:
    seen_nip: dict[str, int] = {}
    seen_email: dict[str, int] = {}
    for row in rows:
        nip, email = row.values["nip"], row.values["email"]
        if nip and nip in seen_nip:
            row.errors.append(_l("The NIP also appears in row %(other)s.", other=seen_nip[nip]))
        elif nip:
            seen_nip[nip] = row.line
        if email and email in seen_email:
            row.errors.append(_l("The email also appears in row %(other)s.", other=seen_email[email]))
        elif email:
            seen_email[email] = row.line


def _chunks(items: list[str]) -> list[list[str]]:
    return [items[i : i + _BATCH] for i in range(0, len(items), _BATCH)]


def _check_against_database(session: Session, cohort: Cohort, rows: list[RosterRow], actor: User | None) -> None:
    nips = [r.values["nip"] for r in rows if len(r.values["nip"]) == 18]
    emails = [r.values["email"] for r in rows if r.values["email"]]
    by_nip: dict[str, tuple[int, str]] = {}
    profiles: dict[int, ParticipantProfile] = {}
    for chunk in _chunks(nips):
        for stored, user_email in session.execute(
            select(ParticipantProfile, User.email).join(User).where(ParticipantProfile.nip.in_(chunk))
        ):
            by_nip[stored.nip] = (stored.user_id, user_email)
            profiles[stored.user_id] = stored
    by_email: dict[str, tuple[int, str | None]] = {}
    for chunk in _chunks(emails):
        for uid, user_email, nip in session.execute(
            select(User.id, User.email, ParticipantProfile.nip)
            .outerjoin(ParticipantProfile)
            .where(func.lower(User.email).in_(chunk))
        ):
            by_email[email_key(user_email)] = (uid, nip)
    found = sorted({uid for uid, _e in by_nip.values()} | {uid for uid, _n in by_email.values()})
    known: set[int] = set()
    staff: set[int] = set()
    names: dict[int, tuple[str, str]] = {}
    for start in range(0, len(found), _BATCH):
        chunk_ids = found[start : start + _BATCH]
        known |= known_people(session, actor, chunk_ids)
        staff |= staff_accounts(session, chunk_ids)
    for start in range(0, len(known), _BATCH):
        ids = sorted(known)[start : start + _BATCH]
        names.update(
            {
                uid: (name, email)
                for uid, name, email in session.execute(select(User.id, User.name, User.email).where(User.id.in_(ids)))
            }
        )
    roles: dict[int, set[Role]] = {}
    for member_id, role in session.execute(
        select(Membership.user_id, Membership.role).where(Membership.cohort_id == cohort.id)
    ):
        roles.setdefault(member_id, set()).add(Role(role))
    see_all = trusted(actor)

    for row in rows:
        nip, email = row.values["nip"], row.values["email"]
        here_id = by_nip[nip][0] if nip in by_nip else by_email[email][0] if email in by_email else None
        have_here = roles.get(here_id, set()) if here_id is not None else set()
        if have_here - {Role.PARTICIPANT}:
            # Staff of this very cohort: the actor sees them on the cohort's page anyway.
            row.errors.append(_l("This person is staff of the cohort and cannot be enrolled as a participant."))
            continue
        match = match_participant(
            actor, nip=nip, email=email, by_nip=by_nip.get(nip), by_email=by_email.get(email), known=known, staff=staff
        )
        if match.error is not None:
            row.errors.append(match.error)
            continue
        row.user_id = user_id = match.user_id
        if user_id is None:
            row.status = "new"
            continue
        if not match.known:
            row.status = "new"  # linked to the account with this NIP and email, shown like a new person
            continue
        row.person = names.get(user_id)
        if nip in by_nip and email_key(by_nip[nip][1]) != email:
            row.changes.append(str(_l("email kept as %(email)s", email=by_nip[nip][1])))
        profile = profiles.get(user_id)
        if profile is not None and see_all:
            for column in ("instansi", "unit", "jabatan", "golongan"):
                new = row.values[column]
                if new and new != (getattr(profile, column) or ""):
                    row.changes.append(column)
        have = roles.get(user_id, set())
        row.status = (
            ("update" if row.changes and any(c in COLUMNS for c in row.changes) else "enrolled")
            if Role.PARTICIPANT in have
            else "existing"
        )


def import_rows(
    session: Session,
    cohort: Cohort,
    preview_result: RosterPreview,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Apply a preview without errors: create, update and enrol, flushed in batches; counts by outcome.

    The caller commits once; any error leaves the session to be rolled back, so nothing is
    half-saved. ``progress(done, total)`` is called after each batch (the background import's bar).
    """
    ensure_editable(cohort)
    if not preview_result.ok:
        raise RosterFileError(_l("The file still has errors; nothing was imported."))
    counts = {"created": 0, "enrolled": 0, "updated": 0, "unchanged": 0}
    existing_ids = [row.user_id for row in preview_result.rows if row.user_id is not None]
    users: dict[int, User] = {}
    for start in range(0, len(existing_ids), _BATCH):
        for user in session.scalars(select(User).where(User.id.in_(existing_ids[start : start + _BATCH]))):
            users[user.id] = user
    total = len(preview_result.rows)
    for done, row in enumerate(preview_result.rows, start=1):
        if progress is not None and done % _BATCH == 0:
            session.flush()
            progress(done, total)
        v = row.values
        golongan = v["golongan"] or None
        if row.user_id is None:
            user = User(email=v["email"], name=v["name"], active=True)
            user.profile = ParticipantProfile(
                nip=v["nip"], instansi=v["instansi"], unit=v["unit"], jabatan=v["jabatan"], golongan=golongan
            )
            session.add(user)
            session.add(Membership(cohort=cohort, user=user, role=Role.PARTICIPANT))
            counts["created"] += 1
            continue
        user = users[row.user_id]
        profile = user.profile
        changed = False
        if not preview_result.updates_profiles:
            pass  # an existing person is linked as they are: a coordinator edits no one's profile
        elif profile is None:
            user.profile = ParticipantProfile(
                nip=v["nip"], instansi=v["instansi"], unit=v["unit"], jabatan=v["jabatan"], golongan=golongan
            )
            changed = True
        else:
            for column in ("instansi", "unit", "jabatan", "golongan"):
                if v[column] and v[column] != (getattr(profile, column) or ""):
                    setattr(profile, column, v[column])
                    changed = True
        if row.status in ("existing", "new"):  # "new" with an account: linked without being shown
            session.add(Membership(cohort=cohort, user=user, role=Role.PARTICIPANT))
            counts["enrolled"] += 1
        elif changed:
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    session.flush()
    return counts


# Roster previews hold NIPs and e-mail addresses: kept only until imported or cancelled, and never
# longer than this (purged on each new preview and by `flask lms purge-previews`).
PREVIEW_MAX_AGE_SECONDS = 24 * 3600


def purge_previews() -> int:
    """Remove roster files uploaded for a preview more than a day ago; returns how many files."""

    return storage.purge("roster", PREVIEW_MAX_AGE_SECONDS)


class UploadGone(LookupError):
    """The previewed file is no longer kept (imported, cancelled or older than a day)."""


@dataclass(frozen=True)
class Upload:
    """A roster file kept between its preview and its import, with who uploaded it for which cohort."""

    token: str
    data: bytes
    filename: str
    cohort_id: int
    user_id: int
    rows: int


def _valid_token(token: str) -> bool:
    return bool(token) and len(token) <= 64 and token.replace("-", "").replace("_", "").isalnum() and token.isascii()


def keep_upload(cohort_id: int, user_id: int, data: bytes, filename: str, rows: int) -> str:
    """Keep a previewed file in the upload store until it is imported or cancelled; its token."""
    purge_previews()
    token = secrets.token_urlsafe(16)
    meta = {"cohort_id": cohort_id, "user_id": user_id, "filename": filename, "rows": rows}
    storage.put("roster", data, name=token + ".bin")
    storage.put("roster", json.dumps(meta).encode("utf-8"), name=token + ".json")
    return token


def kept_upload(token: str) -> Upload:
    """The file kept under ``token``; :class:`UploadGone` if there is none (ValueError: not a token)."""
    if not _valid_token(token):
        raise ValueError(token)
    try:
        meta = json.loads(storage.read("roster", token + ".json"))
        data = storage.read("roster", token + ".bin")
    except (FileNotFoundError, ValueError) as exc:
        raise UploadGone(token) from exc
    return Upload(token, data, meta["filename"], meta["cohort_id"], meta["user_id"], int(meta.get("rows", 0)))


def drop_upload(token: str) -> None:
    if _valid_token(token):
        for suffix in (".bin", ".json"):
            storage.delete("roster", token + suffix)


def template_csv() -> str:
    """A header row and one example row for people to fill in."""
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(COLUMNS)
    writer.writerow(
        [
            "198609262015051001",
            "Nama Peserta",
            "peserta@example.go.id",
            "Pemerintah Provinsi Kalimantan Tengah",
            "Bappeda",
            "Kepala Bidang",
            "III/d",
        ]
    )
    return "\ufeff" + out.getvalue()
