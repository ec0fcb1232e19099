"""Stored results (participant_results) always equal a fresh computation by the one formula
(lms.results.table.score_rows), after every kind of change to their inputs; the readers rank with
a window function; the CLI and the task refresh; a refresh touches only the peserta it must."""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select, update

from lms.assessments import services as assessments
from lms.assessments.models import Assessment, Extension
from lms.attendance.models import AttendanceRecord, ClassSession, Presence
from lms.cohorts.models import Cohort, Membership, Program
from lms.grading.models import Grade, GradeStatus
from lms.results import definitions, screen, services, stored
from lms.results.definitions import ComponentData
from lms.results.models import CohortFigures, ParticipantResult
from lms.results.table import score_rows
from lms.scoresheets import services as sheets
from lms.scoresheets.models import ObserverRole
from tests.factories import NOW, arrange, graded_world, zero_first_released_grade


def snapshot(rows: Any) -> dict[int, tuple[Any, ...]]:
    out = {}
    for r in rows:
        o = r.outcome
        out[r.participant_id] = (
            r.final,
            r.complete,
            r.predicate,
            r.rank,
            o.status,
            tuple(o.reasons),
            tuple(o.codes),
            o.attendance_percent,
            tuple((c.key, c.score) for c in o.components),
            tuple(sorted((aid, str(c.state), c.score) for aid, c in r.cells.items())),
        )
    return out


def assert_same(session: Any, cohort: Cohort) -> dict[int, tuple[Any, ...]]:
    fresh, _asked = score_rows(session, cohort)
    kept = stored.rows_of(session, cohort)
    expected, got = snapshot(fresh.rows), snapshot(kept.rows)
    assert got == expected
    # The canonical order too: ranked first by rank, then by name.
    assert [r.participant_id for r in kept.rows] == [r.participant_id for r in fresh.rows]
    return got


def test_stored_rows_equal_the_computation_after_every_kind_of_change(ctx, session, make_cohort, make_user):
    world = graded_world(session, make_cohort, participants=6)
    cohort = world["cohort"]
    a1, a2, a0 = world["assessments"]
    first = assert_same(session, cohort)
    assert first[world["participants"][0].id][0] == Decimal("83.33")

    # A released grade changes (the listener sees the row; no service call needed).
    grade = session.scalar(
        select(Grade).join(Grade.submission).where(Grade.status == GradeStatus.RELEASED).order_by(Grade.id).limit(1)
    )
    grade.score = Decimal("12.34")
    assert_same(session, cohort)
    # A grade is taken back from release.
    grade.status = GradeStatus.FINAL
    assert_same(session, cohort)

    # A weight changes: the whole cohort moves.
    session.get(Assessment, a0.id).weight = Decimal(3)
    assert_same(session, cohort)

    # The program's bands and an attendance minimum.
    program = session.get(Program, cohort.program_id)
    program.attendance_minimum = Decimal(80)
    assert_same(session, cohort)
    lesson = ClassSession(
        cohort_id=cohort.id,
        day=NOW.date(),
        starts_at=time(8, 0),
        ends_at=time(11, 0),
        jp=4,
        topic="Sesi 1",
        recorded_at=NOW,
        instructor_present=True,
    )
    session.add(lesson)
    session.flush()
    for n, person in enumerate(world["participants"]):
        session.add(
            AttendanceRecord(
                session_id=lesson.id, participant_id=person.id, status=Presence.HADIR if n % 2 else Presence.ALPA
            )
        )
    assert_same(session, cohort)

    # An extension (pending until its cut-off) and a disciplinary decision.
    session.add(
        Extension(
            assessment_id=a1.id,
            participant_id=world["participants"][1].id,
            cutoff_at=NOW + timedelta(days=3650),
            granted_by_id=world["teacher"].id,
        )
    )
    assert_same(session, cohort)
    coordinator = make_user()
    definitions.record_decision(session, cohort, world["participants"][2].id, "Tidak hadir apel", coordinator, NOW)
    assert_same(session, cohort)

    # A result definition with a score sheet, its tags and an observer's scores.
    definitions.save_definition(
        session,
        program,
        [
            ComponentData("tugas", "Tugas", Decimal(70)),
            ComponentData("sikap", "Sikap perilaku", Decimal(30), minimum=Decimal(60)),
        ],
        coordinator,
        NOW,
        sources=set(),
    )
    assert_same(session, cohort)
    definitions.tag_work(session, cohort, {a1.id: "tugas", a2.id: "tugas"}, {"tugas", "sikap"})
    assert_same(session, cohort)
    sheet = sheets.save_sheet(
        session,
        cohort,
        None,
        sheets.SheetData(title="Sikap", criteria=[sheets.CriterionData("Integritas")], component_key="sikap"),
    )
    assert_same(session, cohort)
    criterion = sheet.criteria[0]
    sheets.save_scores(
        session,
        sheet,
        world["teacher"],
        world["teacher"].id,
        ObserverRole.WIDYAISWARA,
        [
            sheets.CellInput(p.id, criterion.id, text, 0)
            for p, text in zip(world["participants"][:3], ["90", "55", "70"], strict=True)
        ],
        NOW,
    )
    final = assert_same(session, cohort)
    assert any(codes and "component_minimum" in codes for *_x, codes, _a, _c, _cells in final.values())

    # Someone leaves the cohort: their row goes.
    leaving = world["participants"][5].id
    session.execute(delete(Membership).where(Membership.cohort_id == cohort.id, Membership.user_id == leaving))
    services.mark_stale(session, cohort.id, [leaving])  # a bulk statement: the listener cannot see it
    assert leaving not in assert_same(session, cohort)
    assert session.get(ParticipantResult, (cohort.id, leaving)) is None


def test_a_grade_refreshes_only_its_peserta_and_rank_is_a_window(ctx, session, make_cohort):
    world = graded_world(session, make_cohort, participants=5)
    cohort = world["cohort"]
    stored.rows_of(session, cohort)
    session.flush()
    before = {
        r.participant_id: r.updated_at
        for r in session.scalars(select(ParticipantResult).where(ParticipantResult.cohort_id == cohort.id))
    }
    grade = session.scalar(
        select(Grade).join(Grade.submission).where(Grade.status == GradeStatus.RELEASED).order_by(Grade.id).limit(1)
    )
    grade.score = Decimal("99.99")
    session.flush()
    changed = set(services.pending(session)[cohort.id] or ())
    assert changed == {grade.submission.participant_id}
    table = stored.rows_of(session, cohort)
    session.expire_all()
    after = {
        r.participant_id: r.updated_at
        for r in session.scalars(select(ParticipantResult).where(ParticipantResult.cohort_id == cohort.id))
    }
    assert {p for p in before if before[p] != after[p]} == changed
    ranks = [r.rank for r in table.rows if r.rank is not None]
    assert ranks == sorted(ranks) and ranks[0] == 1


def test_missing_or_stale_rows_are_computed_by_the_first_reader(ctx, session, make_cohort):
    world = graded_world(session, make_cohort, participants=4)
    cohort = world["cohort"]
    expected = assert_same(session, cohort)
    session.execute(delete(ParticipantResult).where(ParticipantResult.cohort_id == cohort.id))
    assert assert_same(session, cohort) == expected
    session.execute(update(ParticipantResult).values(stale_at=NOW, final=Decimal(1)))
    assert assert_same(session, cohort) == expected


def test_refresh_all_as_the_cli_does(ctx, session, make_cohort):
    world = graded_world(session, make_cohort, participants=3)
    cohort_id = world["cohort"].id
    session.execute(delete(ParticipantResult).where(ParticipantResult.cohort_id == cohort_id))
    assert list(services.refresh_all(session, cohort_ids=[cohort_id])) == [(cohort_id, 3)]
    assert len(session.scalars(select(ParticipantResult).where(ParticipantResult.cohort_id == cohort_id)).all()) == 3


def test_a_drafts_autosave_leaves_results_alone_and_handing_it_in_does_not(ctx, session, make_cohort):
    """A peserta's autosave (the draft's body, every few seconds while they type) computes nothing;
    handing the work in computes that peserta's result again, and only theirs."""
    world = arrange(session, make_cohort, participants=3)
    cohort, assessment, person = world["cohort"], world["assessments"][0], world["participants"][0]
    draft = assessments.start_attempt(session, assessment, person, NOW)
    session.commit()
    stored.rows_of(session, cohort)
    session.commit()

    def stamps() -> dict[int, Any]:
        session.expire_all()
        rows = session.scalars(select(ParticipantResult).where(ParticipantResult.cohort_id == cohort.id))
        return {r.participant_id: r.updated_at for r in rows}

    before = stamps()
    assessments.save_draft(session, draft, "Kalimat pertama.", draft.version, person, NOW)
    session.flush()
    assert cohort.id not in services.pending(session)
    session.commit()
    assert stamps() == before
    assessments.submit(session, session.get(type(draft), draft.id), person, NOW)
    session.commit()
    after = stamps()
    assert {p for p in before if before[p] != after[p]} == {person.id}


def _screen_figures(session: Any, cohort: Cohort) -> tuple[Any, ...]:
    f = screen.result_screen(session, cohort, screen.ResultQuery()).figures
    averages = {aid: [(c.criterion_id, c.average, c.graded) for c in items] for aid, items in f.averages.items()}
    return (f.participants, f.complete, f.mean_final, f.bins, f.predicate_bars, f.assessment_bins, averages)


def _kept(session: Any, cohort: Cohort) -> CohortFigures:
    session.expire_all()
    return session.get(CohortFigures, cohort.id)


def test_kept_figures_follow_every_change_of_the_results(ctx, session, make_cohort):
    """The results page's figures come from the kept copy while nothing changed, and equal a fresh
    computation after a grade changes (the copy is never served after a write)."""
    world = graded_world(session, make_cohort, participants=6)
    cohort = world["cohort"]
    first = _screen_figures(session, cohort)
    kept = _kept(session, cohort)
    assert kept.data is not None and kept.data_generation == kept.generation
    generation = kept.generation
    assert _screen_figures(session, cohort) == first  # served from the copy
    assert _kept(session, cohort).generation == generation

    grade = zero_first_released_grade(session)
    session.flush()
    services.apply_pending(session)  # what the commit does
    assert _kept(session, cohort).generation != generation  # a new generation (random: never met again)
    second = _screen_figures(session, cohort)
    assert second != first
    table = stored.shell(session, cohort)
    fresh = screen._figure_data(session, table)
    assert _kept(session, cohort).data == fresh
    assert second[2] == screen._figures(session, table, None).mean_final

    # Taking the grade back from release moves the criterion averages too.
    grade.status = GradeStatus.FINAL
    session.flush()
    services.apply_pending(session)
    third = _screen_figures(session, cohort)
    assert third[6] != second[6]


def test_a_copy_computed_while_a_writer_commits_is_not_kept(ctx, session, make_cohort, monkeypatch):
    """A reader computes the figures; a writer's change lands before the reader stores them: the
    copy is stored under the generation the reader started from, so the next reader computes anew."""
    world = graded_world(session, make_cohort, participants=3)
    cohort = world["cohort"]
    _screen_figures(session, cohort)
    services.new_generation(session, cohort.id)  # a writer: the copy is out of date
    compute = screen._figure_data

    def racing(session_: Any, table: Any) -> dict[str, Any]:
        data = compute(session_, table)
        services.new_generation(session_, cohort.id)  # another writer, while this reader computes
        return data

    monkeypatch.setattr(screen, "_figure_data", racing)
    _screen_figures(session, cohort)
    kept = _kept(session, cohort)
    assert kept.data_generation != kept.generation  # not served: the next reader computes again
    monkeypatch.setattr(screen, "_figure_data", compute)
    _screen_figures(session, cohort)
    kept = _kept(session, cohort)
    assert kept.data_generation == kept.generation
