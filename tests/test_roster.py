"""Roster import: preview every row's problems, then import all or nothing, matched on NIP."""

from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from datetime import date, timedelta
from html import unescape

import pytest
from flask_babel import force_locale
from openpyxl import Workbook
from sqlalchemy import func, select

from lms.cohorts import roster
from lms.cohorts.models import CohortStatus, Membership, Role
from lms.cohorts.services import NOT_ENROLLABLE
from lms.core.civil_service import format_nip
from lms.core.errors import DomainError
from lms.jobs.models import Job, JobStatus
from lms.users.models import ParticipantProfile, User
from tests.support import count_queries, login

HEADER = ["nip", "name", "email", "instansi", "unit", "jabatan", "golongan"]


# -- helpers -------------------------------------------------------------------------------------


def nip(i: int) -> str:
    """A valid, distinct NIP for the i-th person of a file (born 1960 + i days, appointed 2010)."""
    born = date(1960, 1, 1) + timedelta(days=i)
    return f"{born:%Y%m%d}2010011001"


def person(i: int, **overrides: str) -> dict[str, str]:
    row = {
        "nip": nip(i),
        "name": f"Peserta {i}",
        "email": f"peserta{i}@kalteng.go.id",
        "instansi": "Pemerintah Provinsi Kalimantan Tengah",
        "unit": "Bappeda",
        "jabatan": "Kepala Bidang",
        "golongan": "III/d",
    }
    row.update(overrides)
    return row


def csv_file(
    rows: list[dict[str, str]],
    header: list[str] = HEADER,
    *,
    delimiter: str = ",",
    keys: list[str] | None = None,
    bom: bool = False,
) -> bytes:
    keys = keys or HEADER
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(k, "") for k in keys])
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8")


def xlsx_file(rows: list[list[object]], header: list[str] = HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    for cell in sheet["A"]:
        cell.number_format = "@"  # the NIP column formatted as text, as the template asks
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(client, cohort, data: bytes, filename: str = "roster.csv"):
    return client.post(
        f"/cohorts/{cohort.id}/roster", data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data"
    )


def import_token(client, cohort, token: str, **kwargs):
    return client.post(f"/cohorts/{cohort.id}/roster/import", data={"token": token}, **kwargs)


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def token_in(response) -> str | None:
    found = re.search(r'name="token" value="([^"]+)"', response.get_data(as_text=True))
    return found.group(1) if found else None


def error_rows(response) -> dict[int, str]:
    """The preview's problem table: row number → its problems, as the user reads them."""
    html = response.get_data(as_text=True)
    table = re.search(r'id="roster-error-rows".*?</table>', html, re.S)
    if table is None:
        return {}
    body = table.group(0).split("<tbody>", 1)[-1]
    rows = re.findall(r"<tr[^>]*>\s*<td[^>]*>\s*(\d+)\s*</td>.*?<ul[^>]*>(.*?)</ul>", body, re.S)
    return {int(line): " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split()) for line, body in rows}


def totals(session) -> tuple[int, int, int]:
    session.commit()  # end the read transaction so that the next counts see the app's commits
    return (
        session.scalar(select(func.count()).select_from(User)),
        session.scalar(select(func.count()).select_from(ParticipantProfile)),
        session.scalar(select(func.count()).select_from(Membership)),
    )


def participants_of(session, cohort) -> dict[str, User]:
    session.expire_all()
    users = session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.cohort_id == cohort.id, Membership.role == Role.PARTICIPANT)
    )
    return {user.email: user for user in users}


def english(message) -> str:
    with force_locale("en"):
        return str(message)


def in_english(session, user) -> None:
    """Pin a user's interface to English so the assertions do not depend on a translation catalogue."""
    user.locale = "en"
    session.commit()


@pytest.fixture
def cohort(make_cohort, session):
    cohort = make_cohort()
    in_english(session, cohort.people["coordinator"])
    return cohort


@pytest.fixture
def coordinator(client, cohort):
    login(client, cohort.people["coordinator"])
    return client


# -- the whole file is refused for one bad row ---------------------------------------------------


def test_one_bad_row_among_500_saves_nothing_and_names_the_row(coordinator, cohort, session):
    rows = [person(i) for i in range(500)]
    rows[375]["nip"] = "19700101 201001 3 001"  # data row 376 is spreadsheet row 377
    before = totals(session)

    response = upload(coordinator, cohort, csv_file(rows))

    assert response.status_code == 422
    page = text(response)
    assert "1 row has a problem. Nothing was saved." in page
    assert error_rows(response) == {377: "NIP digit 15 (sex) must be 1 or 2."}
    assert token_in(response) is None  # no import button
    assert totals(session) == before
    assert participants_of(session, cohort) == {}


def test_an_unknown_token_imports_nothing(coordinator, cohort, session):
    before = totals(session)
    assert import_token(coordinator, cohort, "tidak-ada-token").status_code == 410
    assert totals(session) == before


@pytest.mark.parametrize(
    ("change", "line", "problem"),
    [
        ({"nip": "198613262015051001"}, 4, "NIP does not start with a valid birth date (YYYYMMDD)."),
        ({"nip": "12345"}, 4, "NIP must have 18 digits, not 5."),
        ({"nip": ""}, 4, "NIP is required."),
        ({"golongan": "V/a"}, 4, "Unknown golongan V/a (expected e.g. III/a or IV/b)."),
        ({"golongan": "III/f"}, 4, "Unknown golongan III/f (expected e.g. III/a or IV/b)."),
        ({"email": ""}, 4, "The email is missing."),
        ({"email": "peserta.kalteng.go.id"}, 4, "peserta.kalteng.go.id is not a valid email address."),
        ({"name": "  "}, 4, "The name is missing."),
        ({"name": "N" * 201}, 4, "name is longer than 200 characters."),
    ],
)
def test_each_row_problem_is_reported_with_its_row_number(coordinator, cohort, session, change, line, problem):
    rows = [person(i) for i in range(5)]
    rows[line - 2].update(change)
    before = totals(session)

    response = upload(coordinator, cohort, csv_file(rows))

    assert response.status_code == 422
    assert error_rows(response) == {line: problem}
    assert token_in(response) is None
    assert totals(session) == before


def test_duplicate_nip_in_the_file_names_the_other_row(coordinator, cohort):
    rows = [person(i) for i in range(5)]
    # the same NIP typed grouped with spaces is still the same NIP
    rows[3]["nip"] = format_nip(rows[1]["nip"])
    response = upload(coordinator, cohort, csv_file(rows))
    assert response.status_code == 422
    assert error_rows(response) == {5: "The NIP also appears in row 3."}


def test_duplicate_email_in_the_file_names_the_other_row(coordinator, cohort):
    rows = [person(i) for i in range(5)]
    rows[4]["email"] = "  " + rows[0]["email"].upper()
    response = upload(coordinator, cohort, csv_file(rows))
    assert response.status_code == 422
    assert error_rows(response) == {6: "The email also appears in row 2."}


def test_every_problem_of_a_row_is_listed_and_row_numbers_count_blank_lines(coordinator, cohort):
    good, bad = person(0), person(1, nip="1", email="x", golongan="VI")
    data = "\r\n".join(
        [",".join(HEADER), ",".join(good[k] for k in HEADER), "", ",".join(bad[k] for k in HEADER)]
    ).encode()
    response = upload(coordinator, cohort, data)
    assert response.status_code == 422
    problems = error_rows(response)
    assert list(problems) == [4]  # header 1, person 2, blank line 3, bad person 4
    assert "NIP must have 18 digits, not 1." in problems[4]
    assert "x is not a valid email address." in problems[4]
    assert "Unknown golongan VI" in problems[4]


def known_to(session, make_cohort, cohort, user):
    """Make ``user`` a participant of another cohort of the same coordinator: someone they may see."""
    other = make_cohort(coordinator=cohort.people["coordinator"], name="Angkatan Lain")
    session.add(Membership(cohort=other, user=session.get(User, user.id), role=Role.PARTICIPANT))
    session.commit()


def test_email_of_someone_with_another_nip_is_refused(coordinator, cohort, make_user, make_cohort, session):
    budi = make_user(email="budi@kalteng.go.id", nip=nip(900))
    response = upload(coordinator, cohort, csv_file([person(1), person(2, email="Budi@kalteng.go.id")]))
    assert response.status_code == 422
    assert error_rows(response) == {3: english(NOT_ENROLLABLE)}  # a stranger: nothing said about them
    known_to(session, make_cohort, cohort, budi)
    response = upload(coordinator, cohort, csv_file([person(1), person(2, email="Budi@kalteng.go.id")]))
    assert error_rows(response) == {3: "The email belongs to a person with another NIP."}


def test_nip_and_email_of_two_different_people_are_refused(coordinator, cohort, make_user, make_cohort, session):
    budi = make_user(email="budi@kalteng.go.id", nip=nip(2))
    make_user(email="ani@kalteng.go.id")  # an account without a profile
    response = upload(coordinator, cohort, csv_file([person(1), person(2, email="ani@kalteng.go.id")]))
    assert response.status_code == 422
    assert error_rows(response) == {3: english(NOT_ENROLLABLE)}
    known_to(session, make_cohort, cohort, budi)
    response = upload(coordinator, cohort, csv_file([person(1), person(2, email="ani@kalteng.go.id")]))
    assert error_rows(response) == {3: english(NOT_ENROLLABLE)}


def test_staff_of_the_cohort_cannot_be_enrolled_as_participant(coordinator, cohort, session):
    staff = cohort.people["coordinator"]
    response = upload(coordinator, cohort, csv_file([person(1), person(2, email=staff.email)]))
    assert response.status_code == 422
    assert error_rows(response) == {3: "This person is staff of the cohort and cannot be enrolled as a participant."}


# -- a valid file: preview, then import, then import again ---------------------------------------


def test_valid_file_previews_without_saving_then_imports_everyone(coordinator, cohort, session):
    rows = [person(i) for i in range(3)]
    rows[1].update(golongan="4a", nip="19600102 201001 1 001", email="Peserta1@Kalteng.go.id ")
    before = totals(session)

    preview = upload(coordinator, cohort, csv_file(rows))

    assert preview.status_code == 200
    page = text(preview)
    assert "All 3 rows are valid:" in page
    assert (
        "3 people new to your cohorts, 0 people from your cohorts to enrol, 0 profiles to update, 0 already enrolled."
        in page
    )
    assert "Import 3 participants" in page
    assert "19600102 201001 1 001" in page  # NIPs are shown grouped
    token = token_in(preview)
    assert token
    assert totals(session) == before  # the preview saves nothing

    done = import_token(coordinator, cohort, token, follow_redirects=True)

    assert done.status_code == 200
    assert "Roster imported: 3 new accounts, 0 existing people enrolled, 0 profiles updated, 0 unchanged." in text(done)
    users, profiles, memberships = totals(session)
    assert (users, profiles, memberships) == (before[0] + 3, before[1] + 3, before[2] + 3)
    enrolled = participants_of(session, cohort)
    assert set(enrolled) == {"peserta0@kalteng.go.id", "peserta1@kalteng.go.id", "peserta2@kalteng.go.id"}
    second = enrolled["peserta1@kalteng.go.id"]
    assert second.name == "Peserta 1"
    assert second.profile.nip == "196001022010011001"  # stored as 18 digits
    assert second.profile.golongan == "IV/a"
    assert second.profile.instansi == "Pemerintah Provinsi Kalimantan Tengah"
    assert second.profile.unit == "Bappeda" and second.profile.jabatan == "Kepala Bidang"
    assert second.active and second.password_hash is None  # an admin sets a password later
    from lms.notifications.models import Notification

    (told,) = session.scalars(select(Notification).where(Notification.kind == "roster_imported")).all()
    assert told.recipient_id == cohort.people["coordinator"].id and told.payload["created"] == 3


def test_importing_the_same_file_again_changes_nothing(coordinator, cohort, session):
    data = csv_file([person(i) for i in range(4)])
    assert import_token(coordinator, cohort, token_in(upload(coordinator, cohort, data))).status_code == 302
    after_first = totals(session)

    again = upload(coordinator, cohort, data)
    assert again.status_code == 200
    assert (
        "0 people new to your cohorts, 0 people from your cohorts to enrol, 0 profiles to update, 4 already enrolled."
        in text(again)
    )
    done = import_token(coordinator, cohort, token_in(again), follow_redirects=True)

    assert "Roster imported: 0 new accounts, 0 existing people enrolled, 0 profiles updated, 4 unchanged." in text(done)
    assert totals(session) == after_first


def test_reimport_with_a_new_jabatan_changes_no_profile_for_a_coordinator_but_does_for_an_admin(
    coordinator, cohort, session, make_user
):
    rows = [person(i) for i in range(2)]
    assert import_token(coordinator, cohort, token_in(upload(coordinator, cohort, csv_file(rows)))).status_code == 302
    after_first = totals(session)
    rows[1].update(jabatan="Sekretaris Daerah", golongan="IV/c")

    again = upload(coordinator, cohort, csv_file(rows))
    assert "0 profiles to update, 2 already enrolled" in text(again)
    done = import_token(coordinator, cohort, token_in(again), follow_redirects=True)
    assert "0 profiles updated, 2 unchanged." in text(done)
    profile = participants_of(session, cohort)["peserta1@kalteng.go.id"].profile
    assert (profile.jabatan, profile.golongan) == ("Kepala Bidang", "III/d")

    admin = make_user(is_admin=True)
    in_english(session, admin)
    coordinator.post("/logout")
    login(coordinator, admin)
    again = upload(coordinator, cohort, csv_file(rows))
    assert "1 profiles to update" in text(again)
    done = import_token(coordinator, cohort, token_in(again), follow_redirects=True)
    assert "0 new accounts, 0 existing people enrolled, 1 profiles updated, 1 unchanged." in text(done)
    assert totals(session) == (after_first[0] + 1, *after_first[1:])  # only the admin is new
    profile = participants_of(session, cohort)["peserta1@kalteng.go.id"].profile
    assert (profile.jabatan, profile.golongan) == ("Sekretaris Daerah", "IV/c")


def test_person_of_ones_own_cohorts_is_shown_and_linked_as_they_are(
    coordinator, cohort, session, make_cohort, make_user
):
    known = make_user(name="Siti Rahayu", email="siti@kalteng.go.id", nip=nip(7), instansi="Pemprov Kalteng")
    known_to(session, make_cohort, cohort, known)
    before = totals(session)
    # the file has another name, address and agency for her: she is matched on her NIP and kept as she is
    rows = [person(1), person(7, name="Siti R.", email="siti.rahayu@gmail.com", instansi="Lain")]

    preview = upload(coordinator, cohort, csv_file(rows))
    assert preview.status_code == 200
    assert "1 people new to your cohorts, 1 people from your cohorts to enrol" in text(preview)
    assert re.search(r"exists, will be linked: <[^>]+>Siti Rahayu \(siti@kalteng.go.id\)", text(preview))
    assert "email kept as siti@kalteng.go.id" in text(preview)
    done = import_token(coordinator, cohort, token_in(preview), follow_redirects=True)

    assert "Roster imported: 1 new accounts, 1 existing people enrolled" in text(done)
    assert totals(session) == (before[0] + 1, before[1] + 1, before[2] + 2)
    enrolled = participants_of(session, cohort)
    assert enrolled["siti@kalteng.go.id"].id == known.id
    assert (known.name, enrolled["siti@kalteng.go.id"].profile.instansi) == ("Siti Rahayu", "Pemprov Kalteng")
    assert "siti.rahayu@gmail.com" not in enrolled


def test_a_stranger_is_linked_only_by_nip_and_own_email_and_never_shown(
    coordinator, cohort, session, make_cohort, make_user
):
    """Issue 10 #1 and #3: another cohort's peserta, by NIP alone, is neither shown nor taken over."""
    stranger = make_user(name="Siti Rahayu", email="siti@kalteng.go.id", nip=nip(7), instansi="Pemprov Kalteng")
    session.add(Membership(cohort=make_cohort(name="Angkatan Lain"), user=stranger, role=Role.PARTICIPANT))
    session.commit()
    taken_over = upload(coordinator, cohort, csv_file([person(1), person(7, name="Maling", email="maling@x.id")]))
    assert error_rows(taken_over) == {3: english(NOT_ENROLLABLE)}
    for hidden in ("Siti Rahayu", "siti@kalteng.go.id", "Pemprov Kalteng"):
        assert hidden not in text(taken_over)

    preview = upload(
        coordinator, cohort, csv_file([person(1), person(7, name="S. Rahayu", email="SITI@kalteng.go.id")])
    )
    assert preview.status_code == 200
    assert "2 people new to your cohorts, 0 people from your cohorts to enrol" in text(preview)
    assert "Siti Rahayu" not in text(preview) and "Pemprov Kalteng" not in text(preview)
    assert import_token(coordinator, cohort, token_in(preview)).status_code == 302
    enrolled = participants_of(session, cohort)
    siti = enrolled["siti@kalteng.go.id"]
    assert siti.id == stranger.id and siti.name == "Siti Rahayu" and siti.profile.instansi == "Pemprov Kalteng"


def test_staff_accounts_are_never_enrolled_by_a_coordinator(coordinator, cohort, session, make_cohort, make_user):
    """Issue 10 #2: an admin, a program manager, another cohort's widyaiswara."""
    instructor = make_cohort(participants=0, instructors=1, name="Angkatan Lain").people["instructors"][0]
    staff = [make_user(is_admin=True, nip=nip(20)), make_user(is_manager=True, nip=nip(21)), instructor]
    session.get(User, instructor.id).profile = ParticipantProfile(nip=nip(22))
    session.commit()
    rows = [person(20 + i, email=who.email) for i, who in enumerate(staff)]
    response = upload(coordinator, cohort, csv_file(rows))
    assert response.status_code == 422
    assert set(error_rows(response).values()) == {english(NOT_ENROLLABLE)}  # strangers: nothing said
    before = totals(session)
    for who, n in zip(staff, (20, 21, 22), strict=True):
        single = coordinator.post(
            f"/cohorts/{cohort.id}/participants/new",
            data={"nip": nip(n), "name": who.name, "email": who.email, "confirm": nip(n)},
        )
        assert single.status_code == 409, who
    assert totals(session) == before


def test_account_without_profile_is_given_one_by_an_admin_only(coordinator, cohort, session, make_user):
    known = make_user(email="andi@kalteng.go.id")  # e.g. an account an admin made before the roster
    before = totals(session)
    response = upload(coordinator, cohort, csv_file([person(3, email="ANDI@kalteng.go.id")]))
    assert error_rows(response) == {2: english(NOT_ENROLLABLE)}
    admin = make_user(is_admin=True)
    in_english(session, admin)
    coordinator.post("/logout")
    login(coordinator, admin)
    response = upload(coordinator, cohort, csv_file([person(3, email="ANDI@kalteng.go.id")]))
    assert "0 people new to your cohorts, 1 people from your cohorts to enrol" in text(response)
    assert import_token(coordinator, cohort, token_in(response)).status_code == 302
    assert totals(session) == (before[0] + 1, before[1] + 1, before[2] + 1)
    user = participants_of(session, cohort)["andi@kalteng.go.id"]
    assert user.id == known.id and user.profile.nip == nip(3)


def test_import_refuses_when_the_database_changed_since_the_preview(coordinator, cohort, session, make_user):
    preview = upload(coordinator, cohort, csv_file([person(1), person(2)]))
    token = token_in(preview)
    make_user(email="peserta2@kalteng.go.id", nip=nip(800))  # someone takes that email meanwhile
    before = totals(session)

    response = import_token(coordinator, cohort, token)

    assert response.status_code == 409
    assert error_rows(response) == {3: english(NOT_ENROLLABLE)}
    assert totals(session) == before


# -- file formats --------------------------------------------------------------------------------


def test_xlsx_with_the_nip_as_text_is_imported(coordinator, cohort, session):
    rows = [
        [p["nip"], p["name"], p["email"], p["instansi"], p["unit"], p["jabatan"], p["golongan"]]
        for p in (person(i) for i in range(3))
    ]
    rows[2][6] = "IV/b Pembina Tingkat I"
    response = upload(coordinator, cohort, xlsx_file(rows), "peserta.xlsx")
    assert response.status_code == 200, error_rows(response)
    assert "All 3 rows are valid:" in text(response)
    assert import_token(coordinator, cohort, token_in(response)).status_code == 302
    enrolled = participants_of(session, cohort)
    assert {u.profile.nip for u in enrolled.values()} == {nip(0), nip(1), nip(2)}
    assert enrolled["peserta2@kalteng.go.id"].profile.golongan == "IV/b"


def test_xlsx_is_recognised_by_content_whatever_its_name(coordinator, cohort):
    response = upload(
        coordinator, cohort, xlsx_file([[nip(1), "A", "a@kalteng.go.id"]], ["NIP", "Nama", "Email"]), "roster.csv"
    )
    assert response.status_code == 200


def test_xlsx_reads_every_row_even_with_a_stale_dimension_record(coordinator, cohort):
    # Some exporters write a <dimension> that does not cover the data; openpyxl's read-only mode
    # trusts it unless told otherwise, and would drop rows and columns without a word.
    rows = [
        [p["nip"], p["name"], p["email"], p["instansi"], p["unit"], p["jabatan"], p["golongan"]]
        for p in (person(i) for i in range(5))
    ]
    original = zipfile.ZipFile(io.BytesIO(xlsx_file(rows)))
    patched = io.BytesIO()
    with zipfile.ZipFile(patched, "w") as out:
        for item in original.infolist():
            data = original.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data, n = re.subn(rb'<dimension ref="[^"]*" ?/>', b'<dimension ref="A1:C3"/>', data)
                assert n == 1
            out.writestr(item, data)

    response = upload(coordinator, cohort, patched.getvalue(), "ekspor.xlsx")

    assert response.status_code == 200
    assert "All 5 rows are valid:" in text(response)


def test_indonesian_headers_are_understood(coordinator, cohort, session):
    header = ["NIP", "Nama Lengkap", "Surel", "Instansi", "Unit Kerja", "Jabatan", "Pangkat/Golongan"]
    response = upload(coordinator, cohort, csv_file([person(1, golongan="III/a Penata Muda")], header))
    assert response.status_code == 200
    assert import_token(coordinator, cohort, token_in(response)).status_code == 302
    profile = participants_of(session, cohort)["peserta1@kalteng.go.id"].profile
    assert (profile.unit, profile.golongan) == ("Bappeda", "III/a")


def test_unknown_columns_are_named_as_ignored(coordinator, cohort):
    header = ["No", "nip", "nama", "email", "Keterangan"]
    keys = ["no", "nip", "name", "email", "note"]
    response = upload(coordinator, cohort, csv_file([person(1, no="1", note="-")], header, keys=keys))
    assert response.status_code == 200
    assert "Ignored columns: No, Keterangan" in text(response)


def test_semicolon_delimited_csv_works(coordinator, cohort, session):
    rows = [person(1, instansi="Pemerintah Kota Pontianak, Kalimantan Barat"), person(2)]
    response = upload(coordinator, cohort, csv_file(rows, delimiter=";"))
    assert response.status_code == 200, error_rows(response)
    assert import_token(coordinator, cohort, token_in(response)).status_code == 302
    profile = participants_of(session, cohort)["peserta1@kalteng.go.id"].profile
    assert profile.instansi == "Pemerintah Kota Pontianak, Kalimantan Barat"


def test_utf8_bom_csv_from_excel_works(coordinator, cohort, session):
    response = upload(coordinator, cohort, csv_file([person(1, name="Ni Luh Ayu Dewi Saraswatī")], bom=True))
    assert response.status_code == 200, text(response)[:2000]
    assert import_token(coordinator, cohort, token_in(response)).status_code == 302
    assert participants_of(session, cohort)["peserta1@kalteng.go.id"].name == "Ni Luh Ayu Dewi Saraswatī"


def test_the_downloadable_template_is_a_valid_roster(coordinator, cohort, session):
    template = coordinator.get("/roster-template.csv")
    assert template.status_code == 200 and template.mimetype == "text/csv"
    response = upload(coordinator, cohort, template.data)
    assert response.status_code == 200
    assert "All 1 rows are valid:" in text(response)


# -- files that cannot be read -------------------------------------------------------------------


def _xlsx_with_number_nip() -> bytes:
    return xlsx_file([[198609262015051001.0, "Andi", "andi@kalteng.go.id"]], ["nip", "nama", "email"])


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (
            b"nama,email\nAndi,andi@kalteng.go.id\n",
            "roster.csv",
            "The header row lacks the column(s) nip. Expected columns: nip, name, email, instansi, unit, jabatan, golongan.",
        ),
        (b"", "roster.csv", "The file is empty."),
        (b"  \r\n\r\n", "roster.csv", "The file is empty."),
        (b"nip,name,email\r\n", "roster.csv", "The file has a header but no participants."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", "foto.png", "This is not a CSV or XLSX file."),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "lama.xls", "Old Excel files (.xls) cannot be read"),
        (b"PK\x03\x04" + b"\x00" * 100, "rusak.xlsx", "The XLSX file cannot be opened"),
    ],
)
def test_unreadable_files_get_a_clear_error(coordinator, cohort, session, data, filename, message):
    before = totals(session)
    response = upload(coordinator, cohort, data, filename)
    assert response.status_code == 422
    assert message in text(response)
    assert token_in(response) is None
    assert totals(session) == before


def test_nip_stored_as_a_number_in_xlsx_is_explained(coordinator, cohort, session):
    before = totals(session)
    response = upload(coordinator, cohort, _xlsx_with_number_nip(), "peserta.xlsx")
    assert response.status_code == 422
    assert error_rows(response) == {2: "The NIP is stored as a number and has lost digits: format the column as text."}
    assert totals(session) == before


def test_no_file_chosen_is_refused(coordinator, cohort):
    response = coordinator.post(f"/cohorts/{cohort.id}/roster", data={}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Choose a file." in text(response)


def test_non_ascii_digits_in_an_nip_are_a_row_error_not_a_crash(coordinator, cohort):
    response = upload(coordinator, cohort, csv_file([person(1), person(2, nip="19600103²⁰¹⁰⁰¹1001")]))
    assert response.status_code == 422
    assert error_rows(response) == {3: "NIP may contain digits only."}


def test_oversized_upload_gets_413(app_factory, make_cohort, session):
    small = app_factory(ROSTER_MAX_BYTES=1000)
    cohort = make_cohort()
    in_english(session, cohort.people["coordinator"])
    client = small.test_client()
    login(client, cohort.people["coordinator"])
    before = totals(session)

    data = csv_file([person(i) for i in range(20)])
    assert len(data) > 1000
    response = upload(client, cohort, data)

    assert response.status_code == 413
    assert "The file is too large" in text(response)
    assert totals(session) == before
    fits = csv_file([person(1)])
    assert upload(client, cohort, fits + b" " * (1000 - len(fits))).status_code == 200  # the limit itself is fine


def test_too_many_rows_are_refused(app_factory, make_cohort, session):
    few = app_factory(ROSTER_MAX_ROWS=3)
    cohort = make_cohort()
    in_english(session, cohort.people["coordinator"])
    client = few.test_client()
    login(client, cohort.people["coordinator"])
    assert upload(client, cohort, csv_file([person(i) for i in range(3)])).status_code == 200
    response = upload(client, cohort, csv_file([person(i) for i in range(4)]))
    assert response.status_code == 422
    assert "The file has more than 3 rows; split it." in text(response)


# -- who may import ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["participant", "instructor", "other coordinator"])
def test_only_the_cohorts_coordinators_reach_the_roster(client, make_cohort, session, who):
    cohort = make_cohort(participants=1, instructors=1)
    other = make_cohort(name="Angkatan Lain")
    user = {
        "participant": cohort.people["participants"][0],
        "instructor": cohort.people["instructors"][0],
        "other coordinator": other.people["coordinator"],
    }[who]
    login(client, user)
    before = totals(session)

    assert client.get(f"/cohorts/{cohort.id}/roster").status_code == 403
    assert upload(client, cohort, csv_file([person(1)])).status_code == 403
    assert import_token(client, cohort, "some-token").status_code == 403
    assert totals(session) == before


def test_anonymous_visitor_is_sent_to_login(client, cohort):
    response = client.get(f"/cohorts/{cohort.id}/roster")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_closed_cohort_refuses_the_import(client, make_cohort, session):
    cohort = make_cohort(status=CohortStatus.CLOSED)
    login(client, cohort.people["coordinator"])
    assert client.get(f"/cohorts/{cohort.id}/roster").status_code == 403
    assert upload(client, cohort, csv_file([person(1)])).status_code == 403


def test_cohort_closed_after_the_preview_refuses_the_import(coordinator, cohort, session):
    token = token_in(upload(coordinator, cohort, csv_file([person(1)])))
    cohort.status = CohortStatus.CLOSED
    session.commit()
    before = totals(session)
    assert import_token(coordinator, cohort, token).status_code == 403
    assert totals(session) == before


def test_import_token_belongs_to_its_coordinator_and_cohort(app, coordinator, cohort, session, make_user, make_cohort):
    me = cohort.people["coordinator"]
    token = token_in(upload(coordinator, cohort, csv_file([person(1), person(2)])))
    colleague = make_user(name="Koordinator Dua")
    session.add(Membership(cohort=cohort, user=colleague, role=Role.COORDINATOR))
    session.commit()
    mine_too = make_cohort(coordinator=me, name="Angkatan Saya Juga")
    before = totals(session)

    other_client = app.test_client()
    login(other_client, colleague)
    assert import_token(other_client, cohort, token).status_code == 404  # another coordinator
    assert import_token(coordinator, mine_too, token).status_code == 404  # another cohort
    assert totals(session) == before

    assert import_token(coordinator, cohort, token).status_code == 302  # still usable by its owner
    assert set(participants_of(session, cohort)) == {"peserta1@kalteng.go.id", "peserta2@kalteng.go.id"}
    assert participants_of(session, mine_too) == {}
    after = totals(session)
    assert import_token(coordinator, cohort, token).status_code == 410  # used up
    assert totals(session) == after


@pytest.mark.parametrize("token", ["", "../../etc/passwd", "a b"])
def test_malformed_tokens_are_refused(coordinator, cohort, token):
    assert import_token(coordinator, cohort, token).status_code == 400


# -- the service, directly -----------------------------------------------------------------------


def test_preview_reports_statuses_and_row_numbers(ctx, session, make_cohort, make_user):
    cohort = make_cohort()
    enrolled = make_user(email="lama@kalteng.go.id", nip=nip(1), golongan="III/a")
    session.add(Membership(cohort=cohort, user=enrolled, role=Role.PARTICIPANT))
    make_user(email="kenal@kalteng.go.id", nip=nip(2))
    session.commit()
    rows = [
        person(0),
        person(1, email="lama@kalteng.go.id", golongan="III/b"),
        person(2, email="kenal@kalteng.go.id"),
        person(3, golongan="3e"),
    ]

    result = roster.preview(session, cohort, csv_file(rows), "r.csv", 100)

    assert [(r.line, r.status) for r in result.rows] == [(2, "new"), (3, "update"), (4, "existing"), (5, "error")]
    assert result.rows[1].changes == ["instansi", "unit", "jabatan", "golongan"]
    assert [english(e) for e in result.rows[3].errors] == ["Unknown golongan 3e (expected e.g. III/a or IV/b)."]
    assert not result.ok
    with pytest.raises(roster.RosterFileError):
        roster.import_rows(session, cohort, result)
    session.rollback()


def test_import_rows_refuses_a_closed_cohort(ctx, session, make_cohort):
    cohort = make_cohort()
    result = roster.preview(session, cohort, csv_file([person(1)]), "r.csv", 100)
    assert result.ok
    cohort.status = CohortStatus.CLOSED
    with pytest.raises(DomainError) as exc_info:
        roster.import_rows(session, cohort, result)
    assert "closed" in english(exc_info.value.message)
    session.rollback()
    assert participants_of(session, cohort) == {}


def test_preview_looks_people_up_in_batches(app, ctx, session, make_cohort, make_user):
    cohort = make_cohort()
    for i in range(0, 1200, 10):
        make_user(email=f"peserta{i}@kalteng.go.id", nip=nip(i))
    small = csv_file([person(i) for i in range(20)])
    large = csv_file([person(i) for i in range(1200)])

    with count_queries(app) as few:
        assert roster.preview(session, cohort, small, "r.csv", 5000).ok
    with count_queries(app) as many:
        result = roster.preview(session, cohort, large, "r.csv", 5000)

    assert result.ok and result.count("existing") == 120 and result.count("new") == 1080
    # 1,200 rows are three batches of NIPs and of emails: a few queries more, not one per row
    assert len(many) <= len(few) + 4, many


@pytest.mark.real_database
def test_two_imports_of_the_same_new_person_at_once_make_one_account(app, session, make_cohort, make_user):
    """Item 10.13: two coordinators importing the same new person at the same moment: one account,
    the other import refused with 409, its file kept and its preview showing the person as existing."""
    from tests.support import race

    first, second = make_cohort(), make_cohort()
    data = csv_file([person(1)])
    clients = [app.test_client(), app.test_client()]
    tokens = []
    for client, cohort in zip(clients, (first, second), strict=True):
        login(client, cohort.people["coordinator"])
        tokens.append(token_in(upload(client, cohort, data)))
    assert all(tokens)
    responses = race(
        *(lambda c=c, k=k, t=t: import_token(c, k, t) for c, k, t in zip(clients, (first, second), tokens, strict=True))
    )
    statuses = sorted(r.status_code for r in responses)
    session.commit()
    assert session.scalar(select(func.count()).select_from(User).where(User.email == "peserta1@kalteng.go.id")) == 1
    if statuses == [302, 409]:
        refused = next(r for r in responses if r.status_code == 409)
        assert "at the same moment" in text(refused) or "pada saat yang sama" in text(refused)
        assert token_in(refused), "the file is kept: import again from the new preview"
    else:  # the second read the first's commit in time and enrolled the existing person
        assert statuses == [302, 302]
    assert session.scalar(
        select(func.count()).select_from(Membership).where(Membership.role == Role.PARTICIPANT)
    ) == statuses.count(302)


# -- preview files (NIPs and e-mails) do not outlive their use --------------------------------------


def preview_files(app) -> set[str]:
    folder = os.path.join(app.config["UPLOAD_DIR"], "roster")
    return set(os.listdir(folder)) if os.path.isdir(folder) else set()


def test_the_preview_file_is_deleted_once_imported(app, coordinator, cohort):
    token = token_in(upload(coordinator, cohort, csv_file([person(1), person(2)])))
    assert {f"{token}.bin", f"{token}.json"} <= preview_files(app)
    assert import_token(coordinator, cohort, token).status_code == 302
    assert preview_files(app) == set()


def test_the_preview_file_is_deleted_when_cancelled_and_cannot_be_imported_after(app, coordinator, cohort, session):
    page = upload(coordinator, cohort, csv_file([person(3)]))
    token = token_in(page)
    assert "roster/cancel" in page.get_data(as_text=True)
    response = coordinator.post(f"/cohorts/{cohort.id}/roster/cancel", data={"token": token})
    assert response.status_code == 302
    assert preview_files(app) == set()
    assert import_token(coordinator, cohort, token).status_code == 410
    assert totals(session)[1] == 0


def test_someone_elses_preview_cannot_be_cancelled(app, client, coordinator, cohort, make_cohort, session):
    token = token_in(upload(coordinator, cohort, csv_file([person(4)])))
    other = make_cohort()
    client.post("/logout")
    login(client, other.people["coordinator"])
    assert client.post(f"/cohorts/{cohort.id}/roster/cancel", data={"token": token}).status_code == 403
    assert client.post(f"/cohorts/{other.id}/roster/cancel", data={"token": token}).status_code == 404
    assert {f"{token}.bin", f"{token}.json"} <= preview_files(app)


def test_previews_older_than_a_day_are_purged_by_a_new_preview_and_by_the_cli(app, coordinator, cohort):
    import time

    old = token_in(upload(coordinator, cohort, csv_file([person(5)])))
    day_ago = time.time() - 24 * 3600 - 60
    folder = os.path.join(app.config["UPLOAD_DIR"], "roster")
    for name in (f"{old}.bin", f"{old}.json"):
        os.utime(os.path.join(folder, name), (day_ago, day_ago))
    fresh = token_in(upload(coordinator, cohort, csv_file([person(6)])))
    assert preview_files(app) == {f"{fresh}.bin", f"{fresh}.json"}

    for name in (f"{fresh}.bin", f"{fresh}.json"):
        os.utime(os.path.join(folder, name), (day_ago, day_ago))
    result = app.test_cli_runner().invoke(args=["lms", "purge-previews"])
    assert result.exit_code == 0 and "2" in result.output
    assert preview_files(app) == set()


# -- a large roster is imported by the job queue -------------------------------------------------


@pytest.mark.jobs_immediate
def test_a_roster_above_the_inline_limit_is_imported_by_a_job_with_progress(app, coordinator, cohort, session):
    app.config["ROSTER_INLINE_ROWS"] = 5
    token = token_in(upload(coordinator, cohort, csv_file([person(i) for i in range(8)])))
    before = totals(session)

    response = import_token(coordinator, cohort, token)

    assert response.status_code == 303 and response.headers["Location"].startswith("/jobs/")
    job = session.scalars(select(Job)).one()
    assert (job.kind, job.status, job.progress) == ("cohorts.roster_import", JobStatus.DONE, 100), job.error
    assert "8 new accounts" in job.message
    users, profiles, memberships = totals(session)
    assert (users, profiles, memberships) == (before[0] + 8, before[1] + 8, before[2] + 8)
    page = coordinator.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "<progress" in page and f"/cohorts/{cohort.id}/participants" in page  # the way back
    assert import_token(coordinator, cohort, token).status_code == 410  # the file is gone once imported


@pytest.mark.jobs_immediate
def test_a_background_import_whose_file_changed_meanwhile_saves_nothing_and_says_why(
    app, coordinator, cohort, session, make_user
):
    app.config["ROSTER_INLINE_ROWS"] = 1
    token = token_in(upload(coordinator, cohort, csv_file([person(1), person(2)])))
    make_user(email="peserta2@kalteng.go.id", nip=nip(800))  # someone takes that email meanwhile
    before = totals(session)

    assert import_token(coordinator, cohort, token).status_code == 303

    job = session.scalars(select(Job)).one()
    assert job.status == JobStatus.FAILED and "nothing was imported" in job.error
    assert totals(session) == before
