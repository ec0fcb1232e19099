"""Rubrics: the rules, versions once graded, copies, and the builder, library and files over HTTP."""

from __future__ import annotations

import io
import json
import re
from decimal import Decimal
from html import unescape

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from lms.assessments.models import Assessment, Submission, SubmissionState
from lms.cohorts.models import CohortStatus
from lms.core.errors import Conflict, DomainError
from lms.grading.models import Grade
from lms.rubrics import services
from lms.rubrics.io import from_csv, from_json, to_csv, to_json
from lms.rubrics.models import Criterion, Level, Rubric
from lms.rubrics.services import CriterionData, LevelData, RubricData, RubricInvalid
from tests.support import count_queries, login


def sample(title: str = "Rubrik refleksi", criteria: int = 2, levels: int = 3) -> RubricData:
    return RubricData(
        title=title,
        description="Untuk refleksi mingguan",
        criteria=[
            CriterionData(
                f"Kriteria {i + 1}",
                f"Penjelasan {i + 1}",
                Decimal(i + 1),
                [LevelData(f"Level {j + 1}", Decimal(j + 1), f"Deskriptor {i + 1}.{j + 1}") for j in range(levels)],
            )
            for i in range(criteria)
        ],
    )


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def builder_fields(data: RubricData, action: str = "save") -> dict[str, str]:
    """The builder's POST fields for ``data``, as the page names them."""
    fields = {"title": data.title, "description": data.description, "action": action}
    for i, c in enumerate(data.criteria):
        fields |= {
            f"c-{i}-title": c.title,
            f"c-{i}-description": c.description,
            f"c-{i}-weight": str(c.weight),
            f"c-{i}-position": str(i + 1),
        }
        for j, lv in enumerate(c.levels):
            fields |= {
                f"c-{i}-l-{j}-label": lv.label,
                f"c-{i}-l-{j}-points": str(lv.points),
                f"c-{i}-l-{j}-descriptor": lv.descriptor,
                f"c-{i}-l-{j}-position": str(j + 1),
            }
    return fields


def graded(session, cohort, rubric, *, rubric_id=None):
    """An assessment using ``rubric`` with one submission graded with ``rubric_id`` (default: it)."""
    assessment = Assessment(cohort_id=cohort.id, title="Refleksi minggu 1", rubric_id=rubric.id)
    session.add(assessment)
    session.flush()
    submission = Submission(
        assessment_id=assessment.id,
        participant_id=cohort.people["participants"][0].id,
        state=SubmissionState.SUBMITTED,
        body="Refleksi saya",
    )
    session.add(submission)
    session.flush()
    grade = Grade(submission_id=submission.id, rubric_id=rubric_id or rubric.id, score=Decimal(80))
    session.add(grade)
    services.freeze(session, rubric)
    session.commit()
    return assessment, grade


# -- the rules -----------------------------------------------------------------------------------


def bad(change) -> RubricData:
    data = sample()
    change(data)
    return data


INVALID = {
    "no title": (lambda d: setattr(d, "title", "  "), "title", "Give the rubric a title"),
    "no criteria": (lambda d: d.criteria.clear(), "criteria", "at least one criterion"),
    "one level": (
        lambda d: d.criteria[1].levels.__delitem__(slice(1, None)),
        "c-1-levels",
        "Criterion 2 (Kriteria 2) needs at least two levels",
    ),
    "negative points": (
        lambda d: setattr(d.criteria[0].levels[2], "points", Decimal(-1)),
        "c-0-l-2-points",
        "Criterion 1 (Kriteria 1), level 3, points: Points cannot be negative",
    ),
    "zero weight": (
        lambda d: setattr(d.criteria[1], "weight", Decimal(0)),
        "c-1-weight",
        "Criterion 2 (Kriteria 2), weight: The weight must be more than 0",
    ),
    "empty criterion title": (lambda d: setattr(d.criteria[0], "title", ""), "c-0-title", "Criterion 1: enter a title"),
    "empty label": (
        lambda d: setattr(d.criteria[0].levels[1], "label", " "),
        "c-0-l-1-label",
        "Criterion 1 (Kriteria 1), level 2: enter a label",
    ),
    "repeated label": (
        lambda d: setattr(d.criteria[0].levels[2], "label", "level 1"),
        "c-0-l-2-label",
        "has the level level 1 twice",
    ),
    "repeated criterion": (
        lambda d: setattr(d.criteria[1], "title", "KRITERIA 1"),
        "c-1-title",
        "another criterion already has the title KRITERIA 1",
    ),
    "three decimals": (
        lambda d: setattr(d.criteria[0].levels[0], "points", Decimal("1.125")),
        "c-0-l-0-points",
        "at most two decimals",
    ),
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_validation_names_the_criterion_and_level(ctx, case):
    change, field, message = INVALID[case]
    with pytest.raises(RubricInvalid) as info:
        services.validate(bad(change))
    assert isinstance(info.value, DomainError) and info.value.status == 422
    assert field in info.value.problems
    with force_locale("en"):
        assert message in str(info.value.problems[field][0])


def test_validate_trims_and_accepts_a_good_rubric():
    data = sample()
    data.criteria[0].title = "  Kriteria 1 "
    assert services.validate(data).criteria[0].title == "Kriteria 1"


def test_create_then_update_in_place_while_not_frozen(session, make_user, make_cohort):
    cohort = make_cohort()
    actor = cohort.people["coordinator"]
    rubric = services.create_rubric(session, sample(), actor=actor, cohort=cohort)
    session.commit()
    assert rubric.family_id == rubric.id and rubric.version == 1 and rubric.cohort_id == cohort.id
    assert rubric.created_by_id == actor.id and not rubric.is_template
    assert services.rubric_to_data(rubric) == sample()

    changed = sample(title="Rubrik baru", criteria=1, levels=4)
    same, made_new = services.update_rubric(session, rubric, changed, actor=actor)
    session.commit()
    assert same is rubric and made_new is False
    session.expire_all()
    assert services.rubric_to_data(session.get(Rubric, rubric.id)) == changed
    assert count(session, Rubric) == 1 and count(session, Criterion) == 1 and count(session, Level) == 4


def test_editing_a_frozen_rubric_makes_a_new_version(ctx, session, make_cohort):
    cohort = make_cohort(participants=2)
    actor = cohort.people["coordinator"]
    old = services.create_rubric(session, sample(), actor=actor, cohort=cohort)
    session.commit()
    assessment, grade = graded(session, cohort, old)
    # A second assessment graded with the old version but no longer using it: left alone.
    other = Assessment(cohort_id=cohort.id, title="Lain", rubric_id=None)
    session.add(other)
    session.flush()
    other_submission = Submission(assessment_id=other.id, participant_id=cohort.people["participants"][1].id)
    session.add(other_submission)
    session.flush()
    other_grade = Grade(submission_id=other_submission.id, rubric_id=old.id)
    session.add(other_grade)
    session.commit()
    old_criteria = [c.id for c in old.criteria]

    new, made_new = services.update_rubric(
        session, old, sample(title="Rubrik v2", levels=4), actor=actor, review_grades=True
    )
    session.commit()
    session.expire_all()
    assert made_new and new.id != old.id
    assert (new.family_id, new.version, new.cohort_id, new.frozen, new.superseded) == (
        old.id,
        2,
        cohort.id,
        False,
        False,
    )
    old = session.get(Rubric, old.id)
    assert old.superseded and old.frozen and old.title == "Rubrik refleksi"
    assert [c.id for c in old.criteria] == old_criteria and len(old.criteria[0].levels) == 3
    assert session.get(Assessment, assessment.id).rubric_id == new.id
    assert session.get(Grade, grade.id).rubric_id == old.id  # grades keep their version
    assert session.get(Grade, grade.id).needs_review is True
    assert session.get(Grade, other_grade.id).needs_review is False
    assert services.grades_using(session, old) == 2
    assert [r.version for r in services.versions(session, new)] == [2, 1]
    assert services.current_version(session, old).id == new.id

    services.freeze(session, new)
    third, made_new = services.update_rubric(session, new, sample(title="Rubrik v3"), actor=actor)
    assert made_new and third.version == 3 and third.family_id == old.id
    with pytest.raises(Conflict):
        services.update_rubric(session, old, sample(), actor=actor)


def test_review_is_only_marked_when_asked(ctx, session, make_cohort):
    cohort = make_cohort(participants=1)
    old = services.create_rubric(session, sample(), actor=None, cohort=cohort)
    session.commit()
    _assessment, grade = graded(session, cohort, old)
    services.update_rubric(session, old, sample(title="v2"), actor=None)
    session.commit()
    session.expire_all()
    assert session.get(Grade, grade.id).needs_review is False


def test_copy_from_a_template_starts_a_new_family(ctx, session, make_cohort, make_user):
    manager = make_user(is_manager=True)
    template = services.create_rubric(session, sample(), actor=manager, is_template=True)
    cohort = make_cohort()
    copy = services.copy_rubric(session, template, actor=cohort.people["coordinator"], cohort=cohort)
    session.commit()
    assert copy.id != template.id and copy.family_id == copy.id and copy.version == 1
    assert copy.cohort_id == cohort.id and not copy.is_template and template.cohort_id is None
    assert services.rubric_to_data(copy) == services.rubric_to_data(template)
    services.update_rubric(session, copy, sample(title="Diubah", criteria=1), actor=None)
    session.commit()
    session.expire_all()
    assert session.get(Rubric, template.id).title == "Rubrik refleksi"
    back = services.copy_rubric(session, session.get(Rubric, copy.id), actor=manager, is_template=True)
    assert back.is_template and back.cohort_id is None and back.title == "Diubah"


def test_closed_cohort_takes_no_new_rubric(ctx, session, make_cohort):
    cohort = make_cohort(status=CohortStatus.CLOSED)
    with pytest.raises(Conflict):
        services.create_rubric(session, sample(), actor=None, cohort=cohort)


def test_library_lists_current_templates_and_searches_titles(ctx, session, make_cohort):
    cohort = make_cohort()
    services.create_rubric(session, sample("Refleksi 100% jujur"), actor=None, is_template=True)
    services.create_rubric(session, sample("Studi lapangan"), actor=None, is_template=True)
    old = services.create_rubric(session, sample("Proyek perubahan"), actor=None, is_template=True)
    services.create_rubric(session, sample("Rubrik angkatan"), actor=None, cohort=cohort)
    services.freeze(session, old)
    services.update_rubric(session, old, sample("Proyek perubahan v2"), actor=None)
    session.commit()
    titles = [r.title for r in session.scalars(services.library(session, ""))]
    assert titles == ["Proyek perubahan v2", "Refleksi 100% jujur", "Studi lapangan"]
    assert [r.title for r in session.scalars(services.library(session, "REFLEKSI"))] == ["Refleksi 100% jujur"]
    assert [r.title for r in session.scalars(services.library(session, "%"))] == ["Refleksi 100% jujur"]
    assert [r.title for r in services.cohort_rubrics(session, cohort.id)] == ["Rubrik angkatan"]


def test_default_reflection_rubric_is_valid_with_four_levels(ctx, session):
    rubric = services.create_rubric(session, services.DEFAULT_REFLECTION_RUBRIC, actor=None, is_template=True)
    assert len(rubric.criteria) == 4
    assert all([lv.points for lv in c.levels] == [1, 2, 3, 4] for c in rubric.criteria)
    with force_locale("en"):
        titles = [str(c.title) for c in services.DEFAULT_REFLECTION_RUBRIC.criteria]
    assert titles == ["Relevance to own agency", "Depth of reflection", "Use of evidence", "Clarity"]


# -- the builder over HTTP -----------------------------------------------------------------------


@pytest.fixture
def coordinator(client, make_cohort):
    cohort = make_cohort(participants=1, instructors=1)
    login(client, cohort.people["coordinator"])
    return cohort


def test_builder_works_without_javascript_and_keeps_what_was_typed(client, coordinator, session):
    cohort = coordinator
    page = client.get(f"/rubrics/new?cohort_id={cohort.id}")
    assert page.status_code == 200 and 'name="c-0-l-1-points"' in text(page)
    fields = builder_fields(sample(criteria=1, levels=2), action="add-criterion")
    fields["c-0-l-1-points"] = "dua"  # nonsense is kept, not judged, until saving
    response = client.post(f"/rubrics/new?cohort_id={cohort.id}", data=fields)
    html = text(response)
    assert response.status_code == 200
    assert 'value="Rubrik refleksi"' in html and 'value="Kriteria 1"' in html and 'value="dua"' in html
    assert 'name="c-1-title"' in html and 'name="c-1-l-1-label"' in html and 'name="c-2-title"' not in html
    assert count(session, Rubric) == 0

    fields = builder_fields(sample(criteria=2, levels=2), action="add-level-1")
    html = text(client.post(f"/rubrics/new?cohort_id={cohort.id}", data=fields))
    assert 'name="c-1-l-2-label"' in html and 'name="c-0-l-2-label"' not in html

    fields = builder_fields(sample(criteria=2, levels=3), action="remove-level-0-1")
    html = text(client.post(f"/rubrics/new?cohort_id={cohort.id}", data=fields))
    assert 'value="Level 2"' in html  # still in criterion 2
    assert re.search(r'name="c-0-l-1-label"[^>]*value="Level 3"', html)

    fields = builder_fields(sample(criteria=2), action="remove-criterion-0")
    html = text(client.post(f"/rubrics/new?cohort_id={cohort.id}", data=fields))
    assert 'value="Kriteria 2"' in html and 'value="Kriteria 1"' not in html
    assert count(session, Rubric) == 0


def test_positions_reorder_criteria_and_levels(client, coordinator, session):
    fields = builder_fields(sample(criteria=3, levels=3), action="refresh")
    fields["c-2-position"] = "1"  # move the third criterion to the top
    fields["c-0-l-0-position"] = "9"  # and the first level of criterion 1 to the end
    html = text(client.post(f"/rubrics/new?cohort_id={coordinator.id}", data=fields))
    assert re.search(r'name="c-0-title"[^>]*value="Kriteria 3"', html)
    assert re.search(r'name="c-1-title"[^>]*value="Kriteria 1"', html)
    assert re.search(r'name="c-1-l-2-label"[^>]*value="Level 1"', html)
    fields["action"] = "save"
    response = client.post(f"/rubrics/new?cohort_id={coordinator.id}", data=fields)
    assert response.status_code == 302
    rubric = session.scalar(select(Rubric))
    assert [c.title for c in rubric.criteria] == ["Kriteria 3", "Kriteria 1", "Kriteria 2"]
    assert [lv.label for lv in rubric.criteria[1].levels] == ["Level 2", "Level 3", "Level 1"]


def test_save_creates_the_rubric_and_shows_it(client, coordinator, session):
    fields = builder_fields(sample())
    fields["c-0-l-0-points"] = "1,5"  # Indonesian decimal comma
    fields |= {"c-0-l-3-label": "", "c-0-l-3-points": "", "c-0-l-3-descriptor": ""}  # a spare empty level
    response = client.post(f"/rubrics/new?cohort_id={coordinator.id}", data=fields)
    assert response.status_code == 302
    rubric = session.scalar(select(Rubric))
    assert rubric.cohort_id == coordinator.id and not rubric.is_template
    assert rubric.criteria[0].levels[0].points == Decimal("1.5") and len(rubric.criteria[0].levels) == 3
    page = text(client.get(response.headers["Location"]))
    assert "Deskriptor 2.3" in page and "table-responsive" in page
    listing = text(client.get(f"/rubrics/cohorts/{coordinator.id}"))
    assert "Rubrik refleksi" in listing


def test_invalid_builder_answers_422_with_messages_by_the_fields_and_saves_nothing(client, coordinator, session):
    client.post("/language", data={"locale": "en", "next": "/"})
    fields = builder_fields(sample())
    fields["c-0-l-1-points"] = "banyak"
    fields["c-1-l-0-label"] = ""
    fields["c-1-weight"] = "-1"
    response = client.post(f"/rubrics/new?cohort_id={coordinator.id}", data=fields)
    html = text(response)
    assert response.status_code == 422
    assert "Enter a number, e.g. 2 or 2.5." in html
    assert "Criterion 2 (Kriteria 2), level 1: enter a label." in html
    assert "The weight must be more than 0." in html
    assert re.search(
        r'class="form-control form-control-sm is-invalid[^"]*" id="c-0-l-1-points"[^>]*value="banyak"', html
    )
    assert 'value="Deskriptor 1.3"' in html or ">Deskriptor 1.3</textarea>" in html
    assert count(session, Rubric) == 0


def test_new_template_from_the_library(client, make_user, session):
    login(client, make_user(is_manager=True))
    assert client.get("/rubrics/new?preset=reflection").status_code == 200
    response = client.post("/rubrics/new", data=builder_fields(sample("Templat")))
    assert response.status_code == 302
    rubric = session.scalar(select(Rubric))
    assert rubric.is_template and rubric.cohort_id is None
    assert "Templat" in text(client.get("/rubrics/"))


def test_a_library_template_is_changed_only_by_its_author_or_a_manager(client, make_cohort, make_user, session):
    """Coordinators curate the library, but one cohort's coordinator does not change a template
    another wrote: they copy it. Admins and program managers may change any template."""
    first, second = make_cohort(), make_cohort()
    author, other = first.people["coordinator"], second.people["coordinator"]
    template = services.create_rubric(session, sample("Templat bersama"), actor=author, cohort=None, is_template=True)
    session.commit()
    login(client, other)
    assert client.get(f"/rubrics/{template.id}/edit").status_code == 403
    response = client.post(f"/rubrics/{template.id}/edit", data=builder_fields(sample("Diubah orang lain")))
    assert response.status_code == 403
    session.expire_all()
    assert session.get(Rubric, template.id).title == "Templat bersama"
    for who in (author, make_user(is_manager=True)):
        client.post("/logout")
        login(client, who)
        assert client.get(f"/rubrics/{template.id}/edit").status_code == 200


def test_editing_a_frozen_rubric_over_http_reports_the_new_version(client, coordinator, session):
    cohort = coordinator
    old = services.create_rubric(session, sample(), actor=None, cohort=cohort)
    session.commit()
    assessment, grade = graded(session, cohort, old)
    client.post("/language", data={"locale": "en", "next": "/"})
    page = text(client.get(f"/rubrics/{old.id}/edit"))
    assert "Saving your changes makes version 2" in page and 'name="review_grades"' in page
    fields = builder_fields(sample(title="Rubrik v2")) | {"review_grades": "y"}
    response = client.post(f"/rubrics/{old.id}/edit", data=fields, follow_redirects=True)
    html = text(response)
    assert "saved as version 2" in html and "1 grade still uses version 1 and is marked for review." in html
    session.expire_all()
    new = session.scalar(select(Rubric).where(Rubric.version == 2))
    assert session.get(Assessment, assessment.id).rubric_id == new.id
    assert session.get(Grade, grade.id).rubric_id == old.id and session.get(Grade, grade.id).needs_review
    shown = text(client.get(f"/rubrics/{old.id}"))
    assert "old version" in shown and f"/rubrics/{new.id}" in shown
    assert client.get(f"/rubrics/{old.id}/edit").headers["Location"].endswith(f"/rubrics/{new.id}/edit")


def test_editing_in_place_when_not_frozen(client, coordinator, session):
    rubric = services.create_rubric(session, sample(), actor=None, cohort=coordinator)
    session.commit()
    assert 'value="Kriteria 2"' in text(client.get(f"/rubrics/{rubric.id}/edit"))
    response = client.post(f"/rubrics/{rubric.id}/edit", data=builder_fields(sample("Baru", criteria=1)))
    assert response.headers["Location"].endswith(f"/rubrics/{rubric.id}")
    session.expire_all()
    assert count(session, Rubric) == 1 and session.get(Rubric, rubric.id).title == "Baru"


# -- who may do what -----------------------------------------------------------------------------


def test_access_to_rubrics(client, make_cohort, make_user, session):
    a = make_cohort(participants=1, instructors=1, name="Angkatan A")
    b = make_cohort(participants=1, name="Angkatan B")
    rubric = services.create_rubric(session, sample(), actor=None, cohort=a)
    template = services.create_rubric(session, sample("Templat"), actor=None, is_template=True)
    session.commit()

    anonymous = client.get(f"/rubrics/{rubric.id}")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]

    login(client, a.people["participants"][0])
    assert client.get(f"/rubrics/{rubric.id}").status_code == 200  # participants see the rubric before submitting
    assert client.get(f"/rubrics/{rubric.id}/export.json").status_code == 200
    for url in (
        f"/rubrics/{rubric.id}/edit",
        "/rubrics/",
        f"/rubrics/{template.id}",
        f"/rubrics/cohorts/{a.id}",
        f"/rubrics/new?cohort_id={a.id}",
        f"/rubrics/cohorts/{a.id}/import",
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/rubrics/{rubric.id}/edit", data=builder_fields(sample("x"))).status_code == 403
    assert client.post(f"/rubrics/{template.id}/copy?cohort_id={a.id}").status_code == 403

    client.post("/logout")
    login(client, b.people["participants"][0])
    assert client.get(f"/rubrics/{rubric.id}").status_code == 403
    assert client.get(f"/rubrics/{rubric.id}/export.csv").status_code == 403

    client.post("/logout")
    login(client, a.people["instructors"][0])
    assert client.get("/rubrics/").status_code == 200
    assert client.get(f"/rubrics/cohorts/{a.id}").status_code == 200
    assert client.get(f"/rubrics/{template.id}").status_code == 200
    assert client.get("/rubrics/new").status_code == 403  # templates are curated by coordinators and managers
    assert client.get(f"/rubrics/{rubric.id}/edit").status_code == 403

    client.post("/logout")
    login(client, a.people["coordinator"])
    assert client.get(f"/rubrics/new?cohort_id={b.id}").status_code == 403  # not their cohort
    assert client.get(f"/rubrics/{rubric.id}/edit").status_code == 200
    assert client.get("/rubrics/999999").status_code == 404


def test_copy_a_template_into_a_cohort_and_save_a_cohort_rubric_as_template(client, coordinator, make_cohort, session):
    template = services.create_rubric(session, sample("Templat"), actor=None, is_template=True)
    session.commit()
    other = make_cohort(name="Angkatan Lain")
    page = text(client.get(f"/rubrics/?cohort_id={coordinator.id}"))
    assert f"/rubrics/{template.id}/copy?cohort_id={coordinator.id}" in page
    assert client.post(f"/rubrics/{template.id}/copy?cohort_id={other.id}").status_code == 403
    assert client.post(f"/rubrics/{template.id}/copy").status_code == 400
    response = client.post(f"/rubrics/{template.id}/copy", data={"cohort_id": str(coordinator.id)})
    assert response.status_code == 302
    copy = session.scalar(select(Rubric).where(Rubric.cohort_id == coordinator.id))
    assert copy.title == "Templat" and copy.family_id == copy.id

    response = client.post(f"/rubrics/{copy.id}/save-as-template")
    assert response.status_code == 302
    assert session.scalar(select(func.count()).select_from(Rubric).where(Rubric.is_template.is_(True))) == 2


def test_participant_cannot_save_as_template(client, make_cohort, session):
    cohort = make_cohort(participants=1)
    rubric = services.create_rubric(session, sample(), actor=None, cohort=cohort)
    session.commit()
    login(client, cohort.people["participants"][0])
    assert client.post(f"/rubrics/{rubric.id}/save-as-template").status_code == 403


# -- files over HTTP -----------------------------------------------------------------------------


def test_export_json_and_csv_as_attachments(client, coordinator, session):
    rubric = services.create_rubric(session, sample("Rubrik Refleksi: Minggu 1"), actor=None, cohort=coordinator)
    session.commit()
    response = client.get(f"/rubrics/{rubric.id}/export.json")
    assert response.headers["Content-Disposition"] == 'attachment; filename="rubrik-refleksi-minggu-1-v1.json"'
    assert response.mimetype == "application/json"
    assert from_json(response.data) == sample("Rubrik Refleksi: Minggu 1")
    response = client.get(f"/rubrics/{rubric.id}/export.csv")
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert response.data.startswith(b"\xef\xbb\xbf") and response.mimetype == "text/csv"
    assert from_csv(response.data, title=rubric.title).criteria == sample().criteria


def upload(client, url, data: bytes, filename: str, **fields):
    return client.post(url, data={"file": (io.BytesIO(data), filename), **fields}, content_type="multipart/form-data")


def test_import_csv_into_a_cohort_and_json_into_the_library(client, coordinator, session):
    csv_bytes = to_csv(sample()).encode("utf-8")
    response = upload(client, f"/rubrics/cohorts/{coordinator.id}/import", csv_bytes, "Rubrik Kelompok.txt")
    assert response.status_code == 302
    rubric = session.scalar(select(Rubric))
    assert rubric.title == "Rubrik Kelompok" and rubric.cohort_id == coordinator.id  # content, not the name, decides
    assert services.rubric_to_data(rubric).criteria == sample().criteria

    json_bytes = to_json(sample("Dari JSON")).encode("utf-8")
    response = upload(client, "/rubrics/import", json_bytes, "rubric.csv")
    assert response.status_code == 302
    template = session.scalar(select(Rubric).where(Rubric.is_template.is_(True)))
    assert template.title == "Dari JSON"
    response = upload(client, "/rubrics/import", json_bytes, "rubric.json", title="Judul diketik")
    assert response.status_code == 302
    assert session.scalar(select(Rubric).order_by(Rubric.id.desc()).limit(1)).title == "Judul diketik"


def test_bad_uploads_answer_422_and_save_nothing(client, coordinator, session):
    client.post("/language", data={"locale": "en", "next": "/"})
    url = f"/rubrics/cohorts/{coordinator.id}/import"
    one_level = to_csv(sample()).rsplit("\r\n", 3)[0] + "\r\n"  # criterion 2 loses its last two levels
    cases = {
        b"": "The file is empty.",
        b"not,a,rubric\r\n1,2,3\r\n": "The header row lacks the column(s)",
        b'{"title": "x", "criteria": [': "not valid JSON",
        one_level.encode("utf-8"): "Criterion 2 (Kriteria 2) needs at least two levels",
        json.dumps(
            {
                "title": "",
                "criteria": [{"title": "A", "levels": [{"label": "a", "points": 1}, {"label": "b", "points": 2}]}],
            }
        ).encode(): None,
    }
    for raw, message in cases.items():
        response = upload(client, url, raw, "x.json" if raw.startswith(b"{") else "x.csv")
        if message is None:  # an untitled JSON rubric takes the file's name instead
            assert response.status_code == 302
            continue
        assert response.status_code == 422, raw
        assert message in text(response), (raw, text(response)[:2000])
    assert count(session, Rubric) == 1


def test_library_runs_a_fixed_number_of_queries(app, client, make_user, session):
    manager = make_user(is_manager=True)
    login(client, manager)
    counts = []
    for n in (2, 25):
        while count(session, Rubric) < n:
            services.create_rubric(
                session, sample(f"Templat {count(session, Rubric):02d}"), actor=None, is_template=True
            )
            session.commit()
        with count_queries(app) as statements:
            assert client.get("/rubrics/").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
