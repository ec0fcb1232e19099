"""Background jobs that a person started and follows: progress, result file, failure reason."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.db import Base, UTCDateTime, enum_type, utcnow


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(Base):
    """One run of a job kind. Progress lives here (not in the worker's memory) so that every web
    node shows the same bar whichever consumer runs the job."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[JobStatus] = mapped_column(
        enum_type(JobStatus, "job_status", 10),
        default=JobStatus.QUEUED,
    )
    # What the job works on, as the kind's function receives it (JSON: ids, format, language).
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Language of the job's messages and of the file it writes.
    locale: Mapped[str] = mapped_column(String(5), default="id")
    progress: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(String(200), default="")
    # Why it failed, in the job's language; shown to the owner.
    error: Mapped[str | None] = mapped_column(String(500))
    # The finished file, relative to the upload store; None until the job is done.
    result_path: Mapped[str | None] = mapped_column(String(255))
    result_name: Mapped[str | None] = mapped_column(String(255))
    result_type: Mapped[str | None] = mapped_column(String(100))
    # Where the owner came from (the page that started it), for a way back.
    back_url: Mapped[str] = mapped_column(String(255), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Written by the running worker every few seconds; a stale one means the worker died.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # After this the file is deleted and the download refused.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.status}>"
