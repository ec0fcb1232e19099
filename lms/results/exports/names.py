"""The exports' file names."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from werkzeug.utils import secure_filename

from lms.results.exports import EXTENSIONS
from lms.results.table import ResultRow, ResultTable


def filename(table: ResultTable, fmt: str, today: date, participant: ResultRow | None = None) -> str:
    """``PKA_Angkatan_XII_2026_hasil_2026-11-27.xlsx``: program, angkatan, year and the date."""
    cohort = table.cohort
    parts = [cohort.program.code, cohort.name, str(cohort.year), _("results")]
    if participant is not None:
        parts.append(participant.nip or str(participant.participant_id))
    stem = secure_filename("_".join(parts).replace(" ", "_")) or "results"
    return f"{stem}_{today.isoformat()}.{EXTENSIONS.get(fmt, fmt)}"
