"""Host organisations (lokus), field visits and their groups (kelompok)."""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.assessments.models import Assessment, Submission
from lms.cohorts.models import Cohort
from lms.db import Base, UTCDateTime, enum_type, utcnow
from lms.users.models import User
from plugins.benchmarking import search


class HostKind(enum.StrEnum):
    CITY = "city"
    REGENCY = "regency"
    PROVINCE = "province"
    MINISTRY = "ministry"
    AGENCY = "agency"
    STATE_ENTERPRISE = "state_enterprise"
    OTHER = "other"


class Host(Base):
    """An organisation known for a best practice, visited by cohorts; shared across cohorts."""

    __tablename__ = "benchmarking_hosts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[HostKind] = mapped_column(enum_type(HostKind, "benchmarking_host_kind", 24), default=HostKind.CITY)
    region: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    recognition: Mapped[str] = mapped_column(Text, default="")  # Markdown: award, year, score
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_phone: Mapped[str] = mapped_column(String(50), default="")
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    # Who added it: they may edit it until a visit uses it (rules.py, benchmarking.host.edit).
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


DEFAULT_DUE_DAYS = 14  # practices are due two weeks after the visit unless the visit says otherwise


class FieldVisit(Base):
    """A cohort's visit to a host: when, what to look into, and who goes in which group."""

    __tablename__ = "benchmarking_visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("benchmarking_hosts.id", ondelete="RESTRICT"), index=True)
    theme: Mapped[str] = mapped_column(String(300))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    location: Mapped[str] = mapped_column(String(300), default="")
    briefing: Mapped[str] = mapped_column(Text, default="")  # Markdown
    guiding_questions: Mapped[str] = mapped_column(Text, default="")  # one question per line
    # The core assessments this visit's work is graded in (kind benchmarking.practice, and the group report).
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessments.id", ondelete="SET NULL"), index=True)
    report_assessment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessments.id", ondelete="SET NULL"), index=True
    )
    min_practices: Mapped[int] = mapped_column(Integer, default=3)
    # A peserta may take a submitted practice back to draft while no grader has started on it.
    allow_withdraw: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Months after the training's end at which implementation is followed up (followups.plan_rounds);
    # the PKA default is 3, 6 and 12.
    followup_months: Mapped[str] = mapped_column(String(40), default="3,6,12", server_default="3,6,12")
    # When the practices are due (the practice assessment's due time, 23:59 WIB); None: two weeks after the visit.
    due_date: Mapped[date | None] = mapped_column(Date)
    # The pre-visit plan: each group's questions, one group submission, graded or not.
    plan_assessment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessments.id", ondelete="SET NULL"), index=True
    )
    plan_graded: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # How the individual report is graded: one grade per practice (per_practice, what visits did
    # before), or one submission holding all of a peserta's practices (one_report, in the assessment
    # ``individual_assessment_id``). See plugins/benchmarking/individual.py.
    report_mode: Mapped[str] = mapped_column(String(20), default="per_practice", server_default="per_practice")
    individual_assessment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessments.id", ondelete="SET NULL"), index=True
    )
    # The group score = (report_weight · report grade + presentation_weight · seminar score) ÷ their sum;
    # 100/0 is the group report alone, as before the seminar existed.
    report_weight: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(100), server_default="100")
    presentation_weight: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(0), server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cohort: Mapped[Cohort] = relationship()
    host: Mapped[Host] = relationship(lazy="joined")
    assessment: Mapped[Assessment | None] = relationship(foreign_keys=[assessment_id])
    report_assessment: Mapped[Assessment | None] = relationship(foreign_keys=[report_assessment_id])
    plan_assessment: Mapped[Assessment | None] = relationship(foreign_keys=[plan_assessment_id])
    individual_assessment: Mapped[Assessment | None] = relationship(foreign_keys=[individual_assessment_id])
    groups: Mapped[list[VisitGroup]] = relationship(
        back_populates="visit", cascade="all, delete-orphan", order_by="VisitGroup.position"
    )
    lokus: Mapped[list[Lokus]] = relationship(
        back_populates="visit", cascade="all, delete-orphan", order_by="[Lokus.position, Lokus.id]"
    )

    @property
    def practices_due_on(self) -> date:
        """The day the practices are due: the visit's due date, or two weeks after it ends (PKA)."""
        return self.due_date or self.end_date + timedelta(days=DEFAULT_DUE_DAYS)

    @property
    def questions(self) -> list[str]:
        return [line.strip() for line in self.guiding_questions.splitlines() if line.strip()]


class ProgramSettings(Base):
    """What a program sets for its field visits (the plugin's own table: the core knows no visit).

    A program without a row uses the PKA defaults below.
    """

    __tablename__ = "benchmarking_program_settings"

    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True)
    # What the program calls the activity: "Studi Lapangan" (PKA/PKP since 2019), "Benchmarking", "Benchlearning".
    activity_name: Mapped[str] = mapped_column(String(60), default="Studi Lapangan")
    # The minimum number of practices a new visit asks of each peserta.
    min_practices: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    # Whether a new visit's pre-visit plan is graded.
    plan_graded: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Lokus(Base):
    """One place a visit goes to: an OPD or unit of the host government, or another host; groups go
    to a lokus. A visit has one or more."""

    __tablename__ = "benchmarking_lokus"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("benchmarking_visits.id", ondelete="CASCADE"), index=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("benchmarking_hosts.id", ondelete="RESTRICT"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))  # e.g. "RSUD Sultan Syarif Mohamad Alkadrie"
    visit_date: Mapped[date | None] = mapped_column(Date)
    address: Mapped[str] = mapped_column(Text, default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_phone: Mapped[str] = mapped_column(String(50), default="")
    chosen_for: Mapped[str] = mapped_column(Text, default="")  # Markdown: the innovation or award it is chosen for
    # The briefing document, in the one upload store (area "benchmarking").
    briefing_name: Mapped[str] = mapped_column(String(255), default="")
    briefing_stored: Mapped[str | None] = mapped_column(String(64), unique=True)
    briefing_type: Mapped[str] = mapped_column(String(100), default="")

    visit: Mapped[FieldVisit] = relationship(back_populates="lokus")
    host: Mapped[Host] = relationship(lazy="joined")


class VisitGroup(Base):
    """A kelompok of one visit; its leader must be one of its members."""

    __tablename__ = "benchmarking_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("benchmarking_visits.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(default=0)
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    lokus_id: Mapped[int | None] = mapped_column(ForeignKey("benchmarking_lokus.id", ondelete="SET NULL"), index=True)

    visit: Mapped[FieldVisit] = relationship(back_populates="groups")
    leader: Mapped[User | None] = relationship()
    lokus: Mapped[Lokus | None] = relationship()
    members: Mapped[list[GroupMember]] = relationship(back_populates="group", cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("visit_id", "name"),)


class GroupMember(Base):
    """A participant in a group; ``visit_id`` is repeated so that the database itself refuses
    one participant in two groups of the same visit."""

    __tablename__ = "benchmarking_group_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("benchmarking_groups.id", ondelete="CASCADE"), index=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("benchmarking_visits.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)

    group: Mapped[VisitGroup] = relationship(back_populates="members")
    user: Mapped[User] = relationship()

    __table_args__ = (UniqueConstraint("visit_id", "user_id"),)


class Interest(Base):
    """The theme a peserta wants to look into on a visit, set by themselves: groups may be formed by it."""

    __tablename__ = "benchmarking_interests"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("benchmarking_visits.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    theme: Mapped[str] = mapped_column(String(200))

    __table_args__ = (UniqueConstraint("visit_id", "user_id"),)


class GroupPlan(Base):
    """A group's pre-visit plan (the questions it takes to its lokus): one core submission owned by
    the group's leader, like the group report; graded when the visit says so."""

    __tablename__ = "benchmarking_group_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("benchmarking_groups.id", ondelete="CASCADE"), unique=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), unique=True)

    group: Mapped[VisitGroup] = relationship()
    submission: Mapped[Submission] = relationship()


# -- the practice log ----------------------------------------------------------------------------


class PracticeCategory(enum.StrEnum):
    SERVICE_INNOVATION = "service_innovation"
    DIGITAL_SERVICE = "digital_service"
    BUREAUCRACY_REFORM = "bureaucracy_reform"
    HUMAN_RESOURCES = "human_resources"
    FINANCE = "finance"
    HEALTH = "health"
    OTHER = "other"


class Stage(enum.StrEnum):
    IDENTIFIED = "identified"  # what the host does and why it works
    ADOPTED = "adopted"  # to be replicated as it is
    ADAPTED = "adapted"  # changed to fit the home agency


class ImplementationStatus(enum.StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    IMPLEMENTED = "implemented"
    SUSTAINED = "sustained"  # still running at a later round (what counts at 12 months)
    DISCONTINUED = "discontinued"  # with a reason (Followup.discontinued_reason)


# A practice counts as implemented at home in either of these.
IMPLEMENTED_STATUSES = (ImplementationStatus.IMPLEMENTED, ImplementationStatus.SUSTAINED)


class Practice(Base):
    """One practice a participant logged at a host; its core submission carries state and grade."""

    __tablename__ = "benchmarking_practices"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), unique=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("benchmarking_visits.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    category: Mapped[PracticeCategory] = mapped_column(
        enum_type(PracticeCategory, "benchmarking_category", 24), default=PracticeCategory.SERVICE_INNOVATION
    )
    identified: Mapped[str] = mapped_column(Text, default="")  # Markdown: what the host does, why it works
    evidence_links: Mapped[str] = mapped_column(Text, default="")  # one URL per line
    stage: Mapped[Stage] = mapped_column(enum_type(Stage, "benchmarking_stage", 24), default=Stage.IDENTIFIED)
    # Adopted: what will be replicated and where.
    adoption_plan: Mapped[str] = mapped_column(Text, default="")
    # Adapted: what changes and why, for which unit, when, with what, at what risk.
    changes: Mapped[str] = mapped_column(Text, default="")
    reasons: Mapped[str] = mapped_column(String(200), default="")  # comma list: budget,regulation,scale,culture
    target_unit: Mapped[str] = mapped_column(String(300), default="")
    timeline: Mapped[str] = mapped_column(Text, default="")
    resources: Mapped[str] = mapped_column(Text, default="")
    risks: Mapped[str] = mapped_column(Text, default="")
    change_project_link: Mapped[str] = mapped_column(Text, default="")  # link to the aksi perubahan
    # Why it works at the host, in a few points (kunci sukses): the group report and the host summary read them.
    success_factors: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Identified but not taken: why not (kept only while the stage is "identified").
    not_adopted_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    # What the peserta recommends to the host; collected into the host summary after the visit.
    host_recommendations: Mapped[str] = mapped_column(Text, default="", server_default="")
    private_note: Mapped[str] = mapped_column(Text, default="")  # the participant's own, never shown to others
    published: Mapped[bool] = mapped_column(Boolean, default=False)  # in the cross-cohort catalogue
    # What the catalogue shows: a copy taken when the practice is published, so a draft written after
    # a return for revision is never public (see practices.publication).
    published_copy: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The author agreed, when submitting, that a published copy names them and shows their evidence files.
    share_consent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # One per rendering of the "new practice" form: a double submit finds the practice it already made.
    form_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Optimistic lock, as grades and submissions: a save from a stale tab is refused, never overwrites.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    submission: Mapped[Submission] = relationship()
    visit: Mapped[FieldVisit] = relationship()
    participant: Mapped[User] = relationship()
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="practice", cascade="all, delete-orphan", order_by="Attachment.id"
    )

    __table_args__ = tuple(search.indexes())  # the catalogue's full-text indexes (PostgreSQL)
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    @property
    def reason_list(self) -> list[str]:
        return [r for r in self.reasons.split(",") if r]


search.attach_sqlite_table(Base.metadata.tables[Practice.__tablename__])  # the catalogue's FTS5 table (SQLite)


class Attachment(Base):
    """Evidence: a photo, PDF or office document stored outside the web root under a random name."""

    __tablename__ = "benchmarking_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int | None] = mapped_column(
        ForeignKey("benchmarking_practices.id", ondelete="CASCADE"), index=True
    )
    followup_id: Mapped[int | None] = mapped_column(
        ForeignKey("benchmarking_followups.id", ondelete="CASCADE"), index=True
    )
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    practice: Mapped[Practice | None] = relationship(back_populates="attachments")

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class FollowupRound(Base):
    """A moment, months after the visit, when participants report what became of their plans."""

    __tablename__ = "benchmarking_followup_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    opens_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)
    # Months after the training's end this round reports on (3, 6, 12); None for a round opened by
    # hand at no checkpoint. "Sustained at 12 months" reads the rounds of 12 months or more.
    months: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Followup(Base):
    """A participant's report on one adopted or adapted practice in one round."""

    __tablename__ = "benchmarking_followups"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("benchmarking_followup_rounds.id", ondelete="CASCADE"), index=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("benchmarking_practices.id", ondelete="CASCADE"), index=True)
    status: Mapped[ImplementationStatus] = mapped_column(
        enum_type(ImplementationStatus, "benchmarking_impl_status", 24)
    )
    outcome: Mapped[str] = mapped_column(Text, default="")  # Markdown
    discontinued_reason: Mapped[str] = mapped_column(Text, default="", server_default="")  # required when discontinued
    evidence_links: Mapped[str] = mapped_column(Text, default="")
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    round: Mapped[FollowupRound] = relationship()
    practice: Mapped[Practice] = relationship()
    confirmed_by: Mapped[User | None] = relationship()
    attachments: Mapped[list[Attachment]] = relationship(order_by="Attachment.id", viewonly=True)

    __table_args__ = (UniqueConstraint("round_id", "practice_id"),)


# The practices a group report refers to (chosen by its leader among the members' practices).
report_practices = Table(
    "benchmarking_report_practices",
    Base.metadata,
    Column("report_id", ForeignKey("benchmarking_group_reports.id", ondelete="CASCADE"), primary_key=True),
    Column("practice_id", ForeignKey("benchmarking_practices.id", ondelete="CASCADE"), primary_key=True, index=True),
)


# The sections of a group report (laporan kelompok), in the order programs write them.
REPORT_SECTIONS = ("lokus_profile", "innovations", "success_factors", "lessons", "adoption", "recommendations")


class GroupReport(Base):
    """A group's one report; its core submission (owned by the group's leader) is graded once and
    the score applies to every member, with audited individual adjustments."""

    __tablename__ = "benchmarking_group_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("benchmarking_groups.id", ondelete="CASCADE"), unique=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), unique=True)

    # The sections programs ask of a group report (laporan kelompok), Markdown each; the submission's
    # body is made from them, so every save is still a revision (see reports.compose).
    lokus_profile: Mapped[str] = mapped_column(Text, default="", server_default="")
    innovations: Mapped[str] = mapped_column(Text, default="", server_default="")
    success_factors: Mapped[str] = mapped_column(Text, default="", server_default="")
    lessons: Mapped[str] = mapped_column(Text, default="", server_default="")
    adoption: Mapped[str] = mapped_column(Text, default="", server_default="")  # what to adopt or adapt, and why
    recommendations: Mapped[str] = mapped_column(Text, default="", server_default="")  # to the host

    group: Mapped[VisitGroup] = relationship()
    submission: Mapped[Submission] = relationship()
    practices: Mapped[list[Practice]] = relationship(secondary=report_practices, order_by=Practice.id)

    @property
    def has_sections(self) -> bool:
        """Written in sections (a report from before them has only its one text)."""
        return any(getattr(self, name) for name in REPORT_SECTIONS)


# -- the seminar: groups present their reports to a panel ----------------------------------------


class SeminarSession(Base):
    """A seminar session of a visit: when, where (a room or a link), which groups present in which
    order, and the panel of staff who score them."""

    __tablename__ = "benchmarking_seminar_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("benchmarking_visits.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(500), default="")  # a room, or a meeting link
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    visit: Mapped[FieldVisit] = relationship()
    slots: Mapped[list[SeminarSlot]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="SeminarSlot.position"
    )
    panel: Mapped[list[PanelMember]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="PanelMember.id"
    )


class SeminarSlot(Base):
    """A group's turn in a session; a group presents once per visit (``visit_id`` repeated for the
    database to refuse a second turn)."""

    __tablename__ = "benchmarking_seminar_slots"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("benchmarking_seminar_sessions.id", ondelete="CASCADE"), index=True
    )
    visit_id: Mapped[int] = mapped_column(ForeignKey("benchmarking_visits.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("benchmarking_groups.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    session: Mapped[SeminarSession] = relationship(back_populates="slots")
    group: Mapped[VisitGroup] = relationship()

    __table_args__ = (UniqueConstraint("visit_id", "group_id"),)


class PanelMember(Base):
    """A staff member on a session's panel: they score every group presenting in it."""

    __tablename__ = "benchmarking_panel_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("benchmarking_seminar_sessions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)

    session: Mapped[SeminarSession] = relationship(back_populates="panel")
    user: Mapped[User] = relationship()

    __table_args__ = (UniqueConstraint("session_id", "user_id"),)


class PanelScore(Base):
    """One panel member's score (0–100) of one group's presentation; changed in place, with a version
    so that a save from a stale page is refused."""

    __tablename__ = "benchmarking_panel_scores"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("benchmarking_seminar_sessions.id", ondelete="CASCADE"), index=True
    )
    group_id: Mapped[int] = mapped_column(ForeignKey("benchmarking_groups.id", ondelete="CASCADE"), index=True)
    panelist_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    score: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    comment: Mapped[str] = mapped_column(Text, default="")
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __table_args__ = (UniqueConstraint("group_id", "panelist_id"),)
    __mapper_args__ = {"version_id_col": version}


class ScoreAdjustment(Base):
    """Append-only: a change to one member's share of the group score, who made it and why."""

    __tablename__ = "benchmarking_score_adjustments"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("benchmarking_groups.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    delta: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    reason: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# -- mentors: the peserta's superior confirms what was implemented -------------------------------


class MentorVerdict(enum.StrEnum):
    CONFIRMED = "confirmed"
    DISPUTED = "disputed"  # with a comment: what the mentor sees differently
    MORE_EVIDENCE = "more_evidence"  # with a comment: what is missing


class Mentor(Base):
    """A peserta's superior at their agency: no account, no password; they answer through signed,
    expiring links (mentors.py). Inviting again rotates ``link_nonce``, so every older link stops."""

    __tablename__ = "benchmarking_mentors"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    nip: Mapped[str] = mapped_column(String(18), default="")
    position: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254))
    link_nonce: Mapped[str] = mapped_column(String(32))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    participant: Mapped[User] = relationship(foreign_keys=[participant_id])

    __table_args__ = (UniqueConstraint("participant_id", "email"),)


class MentorReview(Base):
    """A mentor's answer on one follow-up report: one per report and mentor; a corrected report
    (followups.report) is answered again, the earlier answer being kept."""

    __tablename__ = "benchmarking_mentor_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("benchmarking_mentors.id", ondelete="CASCADE"), index=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("benchmarking_followup_rounds.id", ondelete="CASCADE"), index=True)
    followup_id: Mapped[int] = mapped_column(ForeignKey("benchmarking_followups.id", ondelete="CASCADE"), index=True)
    # The report's time when answered: a correction makes a new report, answered anew.
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    verdict: Mapped[MentorVerdict] = mapped_column(enum_type(MentorVerdict, "benchmarking_mentor_verdict", 24))
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    mentor: Mapped[Mentor] = relationship()

    __table_args__ = (UniqueConstraint("mentor_id", "followup_id", "reported_at"),)


# -- the aksi perubahan a practice feeds ---------------------------------------------------------


class ChangeProjectStage(enum.StrEnum):
    PLANNED = "planned"  # rancangan: approved by the mentor, not started
    SHORT_TERM = "short_term"  # jangka pendek: what the training's end requires
    MEDIUM_TERM = "medium_term"
    LONG_TERM = "long_term"
    DONE = "done"


class ChangeProjectLink(Base):
    """A practice carried into the peserta's *aksi perubahan*: its title, how far it has come, and
    the mentor who approves it (one of the peserta's mentors, or none yet). One per practice."""

    __tablename__ = "benchmarking_change_projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("benchmarking_practices.id", ondelete="CASCADE"), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    stage: Mapped[ChangeProjectStage] = mapped_column(
        enum_type(ChangeProjectStage, "benchmarking_change_project_stage", 24), default=ChangeProjectStage.PLANNED
    )
    mentor_id: Mapped[int | None] = mapped_column(
        ForeignKey("benchmarking_mentors.id", ondelete="SET NULL"), index=True
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    mentor: Mapped[Mentor | None] = relationship()


class MentorReminder(Base):
    """A reminder e-mailed to a mentor (mentor_reminders.py): one per mentor and ``key`` (the round,
    its due date and the moment), so the hourly job may run on several consumers at once."""

    __tablename__ = "benchmarking_mentor_reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("benchmarking_mentors.id", ondelete="CASCADE"), index=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("benchmarking_followup_rounds.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(120))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("mentor_id", "key"),)
