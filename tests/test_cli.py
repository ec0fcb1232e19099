"""The command-line contract: create-user with --password-stdin, demo data, db upgrade."""

from sqlalchemy import func, select

from lms.cohorts.models import Cohort, Membership, Role
from lms.core.civil_service import validate_nip
from lms.users.models import ParticipantProfile, User
from tests.support import login


def test_create_user_from_stdin_can_log_in(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "lms",
            "create-user",
            "--email",
            "Kepala@Example.go.id",
            "--name",
            "Kepala",
            "--admin",
            "--password-stdin",
        ],
        input="kata-sandi-kuat\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        from lms import db

        user = db.session.scalar(select(User).where(User.email == "kepala@example.go.id"))
        assert user.is_admin
    login(client, user, "kata-sandi-kuat")
    assert client.get("/admin/users").status_code == 200


def test_create_user_refuses_duplicate_and_short_password(app):
    runner = app.test_cli_runner()
    args = ["lms", "create-user", "--email", "a@example.go.id", "--name", "A", "--password-stdin"]
    assert runner.invoke(args=args, input="panjang-sekali\n").exit_code == 0
    again = runner.invoke(args=args, input="panjang-sekali\n")
    assert again.exit_code != 0 and again.output.strip()
    with app.app_context():
        from lms import db

        assert db.session.scalar(select(func.count()).select_from(User).where(User.email == "a@example.go.id")) == 1
    short = runner.invoke(
        args=["lms", "create-user", "--email", "b@example.go.id", "--name", "B", "--password-stdin"], input="abc\n"
    )
    assert short.exit_code != 0


def test_create_user_refuses_an_address_email_validator_refuses(app):
    """The command once stored 'a b@@c': it now says why and stores nothing."""
    runner = app.test_cli_runner()
    for bad in ("a b@@c", "tanpa-domain@", "peserta.kalteng.go.id"):
        result = runner.invoke(
            args=["lms", "create-user", "--email", bad, "--name", "A", "--password-stdin"], input="panjang-sekali\n"
        )
        assert result.exit_code != 0 and "email yang valid" in result.output, (bad, result.output)
    with app.app_context():
        from lms import db

        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_demo_data_is_realistic_and_loads_once(app, session):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lms", "demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    cohort = session.scalar(select(Cohort))
    assert cohort.program.code == "PKA"
    counts = dict(session.execute(select(Membership.role, func.count()).group_by(Membership.role)).all())
    # The running PKA cohort and the finished PKP angkatan (issue 15), with the same staff; with the
    # benchmarking plugin, an earlier PKA angkatan followed up for a year (issue 16).
    plugin = "benchmarking" in app.config["PLUGINS_ENABLED"]
    assert counts[Role.PARTICIPANT] >= 25
    assert (counts[Role.INSTRUCTOR], counts[Role.COORDINATOR]) == ((5, 3) if plugin else (4, 2))
    for profile in session.scalars(select(ParticipantProfile)):
        assert validate_nip(profile.nip) == profile.nip
    assert len({p.golongan for p in session.scalars(select(ParticipantProfile))}) >= 3
    again = runner.invoke(args=["lms", "demo", "--if-empty"])
    assert again.exit_code == 0 and "not loaded" in again.output
    assert session.scalar(select(func.count()).select_from(Cohort)) == (3 if plugin else 2)


def test_demo_accounts_log_in(app, client):
    from lms.demo import ACCOUNTS

    app.test_cli_runner().invoke(args=["lms", "demo"])
    for email, _name, password in ACCOUNTS.values():
        response = client.post("/login", data={"email": email, "password": password})
        assert response.status_code == 302, email
        client.post("/logout")


def test_demo_has_a_finished_angkatan_with_every_outcome(app, session):
    from lms.cohorts.models import CohortStatus
    from lms.results.outcomes import cohort_outcomes

    assert app.test_cli_runner().invoke(args=["lms", "demo"]).exit_code == 0
    finished = session.scalar(select(Cohort).where(Cohort.status == CohortStatus.CLOSED).order_by(Cohort.id).limit(1))
    with app.test_request_context():
        result = cohort_outcomes(session, finished)
    statuses = sorted(o.status for o in result.values())
    assert statuses == ["ditunda"] + ["lulus"] * 4 + ["tidak_lulus"] * 3
    assert sorted(c for o in result.values() for c in o.codes if o.status == "tidak_lulus") == [
        "attendance_minimum",
        "component_minimum",
        "decision",
    ]
    assert {o.predikat for o in result.values() if o.status == "lulus"} == {
        "Sangat Memuaskan",
        "Memuaskan",
        "Cukup Memuaskan",
    }
    from lms.certificates.services import issued_by_participant

    issued = issued_by_participant(session, finished)
    assert set(issued) == {uid for uid, o in result.items() if o.status == "lulus"}
    assert sorted(c.number for c in issued.values())[0] == "001/PKP-V/2026"
