"""The participants list's bulk action "move to a visit group" (issue 14), contributed through
lms_participant_actions: asked first, then done; another cohort's people or groups are refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.cohorts.models import Membership, Role
from plugins.benchmarking import services
from plugins.benchmarking.models import GroupMember, VisitGroup
from plugins.benchmarking.tests.test_hosts_visits import cohort, host, plugin_on, schedule  # noqa: F401
from tests.support import login

pytestmark = pytest.mark.usefixtures("plugin_on")

ACTION = "benchmarking.move_to_group"


def bulk(client, cohort_id, ids, **extra):
    data = {"action": ACTION, "user_ids": [str(i) for i in ids], **extra}
    return client.post(f"/cohorts/{cohort_id}/participants/bulk", data=data)


def group_of(session, user_id, visit_id):
    return session.scalar(
        select(GroupMember.group_id).where(GroupMember.user_id == user_id, GroupMember.visit_id == visit_id)
    )


@pytest.fixture
def arranged(app, ctx, session, cohort, host):  # noqa: F811
    visit = schedule(session, cohort, host)
    a, b = services.split_groups(session, visit, 2)
    session.commit()
    return visit, a, b


def test_ticked_participants_move_to_a_group_after_the_question(app, session, cohort, arranged):  # noqa: F811
    visit, a, b = arranged
    movers = [m.user_id for m in a.members][:2]
    leader_moves = session.get(VisitGroup, a.id).leader_id in movers
    client = app.test_client()
    login(client, cohort.people["coordinator"])
    page = client.get(f"/cohorts/{cohort.id}/participants").get_data(as_text=True)
    assert f'value="{ACTION}"' in page

    ask = bulk(client, cohort.id, movers)
    text = ask.get_data(as_text=True)
    assert ask.status_code == 200 and 'id="bulk-confirm"' in text and 'name="target"' in text
    assert all(group_of(session, uid, visit.id) == a.id for uid in movers), "asking moves nobody"

    done = bulk(client, cohort.id, movers, confirmed="1", target=str(b.id))
    assert done.status_code == 302
    session.expire_all()
    assert all(group_of(session, uid, visit.id) == b.id for uid in movers)
    if leader_moves:
        assert session.get(VisitGroup, a.id).leader_id is None
    # A target that is no group of the choice: asked again, nothing moved.
    again = bulk(client, cohort.id, movers, confirmed="1", target="999999")
    assert again.status_code == 422


def test_foreign_ids_or_groups_are_refused_and_nothing_moves(app, session, cohort, arranged, make_cohort, host):  # noqa: F811
    visit, a, b = arranged
    other = make_cohort(participants=2, name="Angkatan lain")
    stranger = other.people["participants"][0]
    own = a.members[0].user_id
    client = app.test_client()
    login(client, cohort.people["coordinator"])
    # One id of another cohort among the ticked: refused as a whole.
    assert bulk(client, cohort.id, [own, stranger.id], confirmed="1", target=str(b.id)).status_code == 403
    assert bulk(client, cohort.id, [own, stranger.id]).status_code == 403
    session.expire_all()
    assert group_of(session, own, visit.id) == a.id
    assert group_of(session, stranger.id, visit.id) is None
    # The other cohort's coordinator cannot move this cohort's people, whatever ids they send.
    outsider = app.test_client()
    login(outsider, other.people["coordinator"])
    assert bulk(outsider, cohort.id, [own], confirmed="1", target=str(b.id)).status_code == 403
    assert bulk(outsider, other.id, [own], confirmed="1", target=str(b.id)).status_code in {303, 403}
    session.expire_all()
    assert group_of(session, own, visit.id) == a.id
    assert session.scalar(select(Membership.id).where(Membership.user_id == own, Membership.role == Role.PARTICIPANT))
