"""What a program's final result is made of: versioned component definitions, which cohort keeps
which version, which work feeds which component, and the penyelenggara's disciplinary decisions.

A definition (*scheme*) is never edited in place: every save is a new version of the program's
definition. A cohort that has started keeps the version it started with until the penyelenggara
re-applies another one, which is recorded in :class:`SchemeEvent` with a reason.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import Base, UTCDateTime, utcnow

# Where a component's scores come from: the cohort's own work (assessments and staff-entered score
# sheets tagged with the component's key), or a plugin's source (``lms_result_sources``).
WORK_SOURCE = "work"


class ResultScheme(Base):
    """One version of a program's result definition: weighted components and the pass rules."""

    __tablename__ = "result_schemes"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # A final score under this fails the peserta (None: no minimum on the final score).
    pass_minimum: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    components: Mapped[list[ResultComponent]] = relationship(
        back_populates="scheme", cascade="all, delete-orphan", order_by="ResultComponent.position", lazy="selectin"
    )

    __table_args__ = (UniqueConstraint("program_id", "version"),)

    @property
    def total_weight(self) -> Decimal:
        return sum((c.weight for c in self.components), Decimal(0))


class ResultComponent(Base):
    """A weighted part of the final result (sikap perilaku, aksi perubahan, studi lapangan...)."""

    __tablename__ = "result_components"

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("result_schemes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Stable across versions: the cohort's work is tagged with it.
    key: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    weight: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    # A component score under this fails the peserta (None: no minimum).
    minimum: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    source: Mapped[str] = mapped_column(String(80), default=WORK_SOURCE)

    scheme: Mapped[ResultScheme] = relationship(back_populates="components")

    __table_args__ = (UniqueConstraint("scheme_id", "key"),)


class CohortScheme(Base):
    """The definition version a cohort keeps (set when it started, changed only by re-applying)."""

    __tablename__ = "result_cohort_schemes"

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("result_schemes.id", ondelete="RESTRICT"), index=True)
    # Optimistic lock: two penyelenggara re-applying at once never pass each other silently.
    version: Mapped[int] = mapped_column(Integer, default=1)

    scheme: Mapped[ResultScheme] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}


class SchemeEvent(Base):
    """Append-only: a definition version was pinned to or re-applied on a cohort, by whom and why."""

    __tablename__ = "result_scheme_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    from_scheme_id: Mapped[int | None] = mapped_column(ForeignKey("result_schemes.id", ondelete="SET NULL"), index=True)
    to_scheme_id: Mapped[int] = mapped_column(ForeignKey("result_schemes.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(
        String(20)
    )  # pin | reapply | retag (work moved) | sheet (a sheet's part changed)
    # Scores that existed when the definition changed: the reason is required then.
    graded: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WorkComponent(Base):
    """Which component an assessment of a cohort counts towards (untagged work counts nowhere)."""

    __tablename__ = "result_work_components"

    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"), primary_key=True)
    component_key: Mapped[str] = mapped_column(String(40))


class DisciplinaryDecision(Base):
    """A penyelenggara's decision that a peserta does not pass for a disciplinary reason.

    Withdrawing one keeps the row (who, when, why): the outcome history stays explainable.
    """

    __tablename__ = "result_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    withdrawn_reason: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_result_decisions_cohort_id_participant_id", "cohort_id", "participant_id"),)


class ParticipantResult(Base):
    """A peserta's result as :func:`lms.results.table.score_rows` computed it, stored so that a page,
    a rank or an export is a query (a page of 50 of 3,000 without computing the 3,000).

    Rewritten by :func:`lms.results.services.refresh_results` whenever an input changes (the
    listener in that module sees every change); never edited by hand. The rank is not stored: it is
    ``RANK() OVER`` the cohort's stored final scores at read time, so refreshing one peserta never
    rewrites the others. Reasons are stored as codes with their values and worded when read, in the
    reader's language.
    """

    __tablename__ = "participant_results"

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    final: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))  # half-up to 0.01, None while incomplete
    predicate: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))  # lulus | tidak_lulus | ditunda
    attendance_percent: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    released: Mapped[bool] = mapped_column(Boolean, default=False)  # any released grade: the sheet may be shown
    # Component key → two-place score as text (None: not every score is in).
    components: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # [[code, {values}], ...]: worded by lms.results.components.reason_text when read.
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # The row must be computed again from then on (an open extension's cut-off, or "now" when a
    # whole-cohort change waits for its job); None: valid until an input changes.
    stale_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_participant_results_cohort_id_final", "cohort_id", "final"),
        Index("ix_participant_results_cohort_id_status", "cohort_id", "status"),
    )


class ParticipantResultCell(Base):
    """One stored assessment cell of a :class:`ParticipantResult` (sorting and the charts by
    assessment are SQL over these)."""

    __tablename__ = "participant_result_cells"

    cohort_id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(20))  # lms.results.table.CellState
    score: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))

    __table_args__ = (
        ForeignKeyConstraint(
            ["cohort_id", "participant_id"],
            ["participant_results.cohort_id", "participant_results.participant_id"],
            ondelete="CASCADE",
        ),
        Index("ix_participant_result_cells_assessment_id_score", "assessment_id", "score"),
    )


class CohortFigures(Base):
    """The results page's figures of a whole cohort (counts, score bands, predicates, criterion
    averages), kept until the cohort's stored results change.

    They are aggregates over every peserta's stored row and every released criterion row: at 3,000
    peserta about 0.3 s of SQL (the criterion averages read ~100,000 rows), which a page must not pay
    on every view. ``generation`` goes up, in the writer's transaction, whenever a stored row of the
    cohort is written or marked stale (:mod:`lms.results.services`); ``data`` is valid while
    ``data_generation`` equals it, and a reader stores what it computed only under the generation it
    read first — a writer that commits meanwhile leaves the copy behind as out of date, never served.
    """

    __tablename__ = "result_cohort_figures"

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger, default=0)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    data_generation: Mapped[int | None] = mapped_column(BigInteger)
