"""Assessments and submissions: starting to write when two requests arrive at the same moment."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lms.assessments import services as assessments
from lms.assessments.models import Submission
from lms.cohorts.models import Cohort
from tests.support import login, race


@pytest.mark.real_database
def test_two_simultaneous_starts_make_one_draft_and_both_go_to_it(app, ctx, session, make_cohort):
    """Item 10.13: "start reflection" twice at once (a double click, two tabs) was a 500 for one of
    them; now one draft exists and both requests go to its editor."""
    cohort = make_cohort(participants=1)
    assessment = assessments.save_assessment(
        session, None, session.get(Cohort, cohort.id), assessments.AssessmentFields(title="Refleksi harian")
    )
    session.commit()
    person = cohort.people["participants"][0]
    for _round in range(3):
        session.execute(Submission.__table__.delete())
        session.commit()
        clients = [app.test_client(), app.test_client()]
        for client in clients:
            login(client, person)
        url = f"/assessments/{assessment.id}/start"
        responses = race(*(lambda c=c, url=url: c.post(url) for c in clients))
        assert [r.status_code for r in responses] == [302, 302]
        assert {r.headers["Location"] for r in responses} == {f"/assessments/{assessment.id}/write"}
        session.commit()
        assert session.scalar(select(func.count()).select_from(Submission)) == 1
