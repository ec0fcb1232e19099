"""Evidence files: type checked by content, stored outside the web root under random names,
served only through an access-checked view. Nothing is left behind when a practice or file goes."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from PIL import Image
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from lms.assessments.models import Submission, SubmissionState
from lms.cohorts.services import ensure_editable
from lms.core import storage
from lms.core.errors import DomainError
from lms.core.timezones import today_local
from lms.users.models import User
from plugins.benchmarking.models import Attachment, Followup, Practice

ALLOWED = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "application/vnd.oasis.opendocument.presentation": ".odp",
    "application/x-ole-storage": ".doc",
}
_OOXML = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


class EvidenceError(DomainError):
    pass


def sniff(data: bytes) -> str | None:
    """The file's type from its first bytes (and, for office files, its zip directory); None if not allowed."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "application/x-ole-storage"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = archive.namelist()
                if "mimetype" in names:
                    if archive.getinfo("mimetype").file_size > 100:  # no zip bomb in a type marker
                        return None
                    with archive.open("mimetype") as marker:
                        kind = marker.read(101).decode("ascii", "replace").strip()
                    return kind if kind in ALLOWED else None
                if "[Content_Types].xml" in names:
                    for prefix, kind in _OOXML.items():
                        if any(name.startswith(prefix) for name in names):
                            return kind
        except (zipfile.BadZipFile, KeyError, OSError, ValueError):
            return None
    return None


def clean_name(filename: str | None, content_type: str) -> str:
    """A display name without any path, control characters or leading dots: ``../../x.pdf`` → ``x.pdf``."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"\s+", " ", name).strip(" .")[:200]
    return name or f"bukti{ALLOWED.get(content_type, '')}"


def served_as(content_type: str, original_name: str) -> tuple[str, str]:
    """(type, file name) for a download, always served as an attachment: the type verified at
    upload (or a plain byte stream if it is not one Tolok accepts) and a name whose extension
    matches that type: a PNG uploaded as ``poly.html`` comes back as ``poly.png``."""
    if content_type not in ALLOWED:
        content_type = "application/octet-stream"
    stem = original_name.rsplit(".", 1)[0] if "." in original_name.strip(".") else original_name
    stem = stem.strip(" .") or "bukti"
    return content_type, stem + ALLOWED.get(content_type, ".bin")


# The upload store's area for evidence files (lms.core.storage).
AREA = "benchmarking"


def path_of(stored_name: str) -> str:
    """Where an evidence file is kept (the store refuses any name it did not hand out)."""
    return storage.path(AREA, stored_name)


def add(
    session: Session,
    practice: Practice,
    owner: User,
    data: bytes,
    filename: str | None,
    *,
    max_file: int,
    max_practice: int,
) -> Attachment:
    """Store one evidence file for a practice; refuses a wrong type, a file or a total that is too big.

    The file is written (atomically, by the upload store) before the row is flushed and removed
    again if the flush fails.
    """
    if practice.participant_id != owner.id:
        raise EvidenceError(_l("You can only add evidence to your own practices."), status=403)
    kind = check_file(data, max_file)
    _lock_practice(session, practice)
    used = (
        session.scalar(select(func.coalesce(func.sum(Attachment.size), 0)).where(Attachment.practice_id == practice.id))
        or 0
    )
    if used + len(data) > max_practice:
        raise EvidenceError(
            _l("A practice can hold at most %(mb)s MB of evidence.", mb=max_practice // (1024 * 1024)),
            field="file",
            status=413,
        )
    _check_editable(session, practice)
    return _store(session, Attachment(practice_id=practice.id, owner_id=owner.id), data, filename, kind)


def check_file(data: bytes, max_file: int) -> str:
    """An uploaded file's type, read from its content (practice and report evidence, lokus briefings):
    an empty or too large file, a type not accepted, or a photo that cannot be read or is too large
    to decode safely, is refused."""
    if not data:
        raise EvidenceError(_l("The file is empty."), field="file")
    if len(data) > max_file:
        raise EvidenceError(
            _l("The file is larger than %(mb)s MB.", mb=max_file // (1024 * 1024)), field="file", status=413
        )
    kind = sniff(data)
    if kind is None:
        raise EvidenceError(
            _l("Only photos (JPEG, PNG, GIF, WebP), PDF and office documents are accepted."), field="file", status=415
        )
    if kind.startswith("image/") and not _reasonable_image(data):
        raise EvidenceError(
            _l(
                "The photo could not be read, or it is larger than %(mp)s megapixels.", mp=max_pixels(kind) // 1_000_000
            ),
            field="file",
            status=415,
        )
    return kind


def _store(session: Session, attachment: Attachment, data: bytes, filename: str | None, kind: str) -> Attachment:
    stored = storage.put(AREA, data)  # atomic: a full disk leaves no partial file under the stored name
    try:
        attachment.original_name = clean_name(filename, kind)
        attachment.stored_name = stored
        attachment.content_type = kind
        attachment.size = len(data)
        session.add(attachment)
        session.flush()
    except Exception:
        storage.delete(AREA, stored)
        raise
    return attachment


def add_to_followup(
    session: Session,
    followup: Followup,
    owner: User,
    data: bytes,
    filename: str | None,
    *,
    today: date,
    max_file: int,
    max_practice: int,
) -> Attachment:
    """Evidence of implementation (a photo, a document) for one follow-up report, while its round is
    open; the same checks as a practice's evidence, and the same quota per report."""
    if followup.practice.participant_id != owner.id:
        raise EvidenceError(_l("You can only add evidence to your own reports."), status=403)
    round_ = followup.round
    if today < round_.opens_on or (round_.due_on is not None and today > round_.due_on):
        raise EvidenceError(_l("This follow-up round is not open: its evidence can no longer change."), status=409)
    kind = check_file(data, max_file)
    session.execute(
        update(Followup)
        .where(Followup.id == followup.id)
        .values(id=Followup.id)
        .execution_options(synchronize_session=False)
    )  # one upload at a time per report, so that the quota sum sees every committed file
    used = (
        session.scalar(select(func.coalesce(func.sum(Attachment.size), 0)).where(Attachment.followup_id == followup.id))
        or 0
    )
    if used + len(data) > max_practice:
        raise EvidenceError(
            _l("A report can hold at most %(mb)s MB of evidence.", mb=max_practice // (1024 * 1024)),
            field="file",
            status=413,
        )
    return _store(session, Attachment(followup_id=followup.id, owner_id=owner.id), data, filename, kind)


def remove(session: Session, attachment: Attachment, actor: User) -> str:
    """Delete the row; returns the stored name whose file the caller removes after commit."""
    if attachment.owner_id != actor.id:
        raise EvidenceError(_l("You can only delete your own files."), status=403)
    if attachment.practice is not None:
        _check_editable(session, attachment.practice)
    elif attachment.followup_id is not None:
        followup = session.get(Followup, attachment.followup_id)
        round_ = followup.round if followup else None
        if round_ is not None and round_.due_on is not None and today_local() > round_.due_on:
            raise EvidenceError(_l("This follow-up round is closed: its evidence can no longer change."), status=409)
    stored = attachment.stored_name
    session.delete(attachment)
    session.flush()
    return stored


# Pixels are checked from the header, before anything is decoded. A JPEG is thumbnailed in draft
# mode (the decoder scales by 1/2..1/8 while decoding), so a 48-megapixel phone photo costs little;
# other formats decode in full (a 40 MP PNG took 125 MB and 2.7 s), so they get a lower cap.
MAX_PIXELS = 50_000_000
MAX_PIXELS_FULL_DECODE = 16_000_000


def max_pixels(kind: str) -> int:
    return MAX_PIXELS if kind == "image/jpeg" else MAX_PIXELS_FULL_DECODE


def _open_image(source: Any) -> Any:
    # Pillow's own decompression-bomb guard, for any image opened anywhere in the process.
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    return Image.open(source)


def _reasonable_image(data: bytes) -> bool:
    """Readable, and small enough in pixels to make a thumbnail without exhausting memory."""
    try:
        with _open_image(io.BytesIO(data)) as image:
            width, height = image.size
            kind = IMAGE_TYPES.get(image.format or "", "")
    except Exception:  # Pillow raises many kinds for a broken or hostile file
        return False
    return bool(kind) and width * height <= max_pixels(kind)


IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}


def _lock_practice(session: Session, practice: Practice) -> None:
    """Serialise evidence uploads to one practice, so that the quota sum sees every committed file:
    two uploads at once stored 59.4 MB under a 50 MB quota. A no-op UPDATE takes the practice row's
    lock on PostgreSQL and the write lock on SQLite; the second upload waits for the first's commit."""
    session.execute(
        update(Practice)
        .where(Practice.id == practice.id)
        .values(id=Practice.id)
        .execution_options(synchronize_session=False)
    )


def _check_editable(session: Session, practice: Practice) -> None:
    """Evidence changes with its practice: only while a draft or returned, in an open cohort."""

    ensure_editable(practice.visit.cohort)
    state = session.scalar(select(Submission.state).where(Submission.id == practice.submission_id))
    if state == SubmissionState.SUBMITTED:
        raise EvidenceError(_l("This practice is submitted: its evidence can no longer change."), status=409)


def discard_files(stored_names: Iterable[str]) -> None:
    """Remove files whose rows are gone (called after the commit that removed them)."""
    for stored in stored_names:
        storage.delete(AREA, stored)


def thumbnail(path: str, size: int = 360) -> bytes:
    """A re-encoded JPEG preview: whatever the upload carried besides pixels does not survive."""
    with _open_image(path) as image:
        kind = IMAGE_TYPES.get(image.format or "", "")
        if not kind or image.size[0] * image.size[1] > max_pixels(kind):
            raise ValueError("image too large for a thumbnail")
        if kind == "image/jpeg":
            image.draft("RGB", (size, size))  # decode at 1/2..1/8 scale: never the full pixels
        image = image.convert("RGB")
        image.thumbnail((size, size))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=80)
        return out.getvalue()
