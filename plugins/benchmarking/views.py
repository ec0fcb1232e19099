"""Host catalogue, field visits and their groups."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from wtforms import SelectChoice

from lms import db
from lms.cohorts.models import Cohort
from lms.core import access
from lms.core.access import require
from lms.core.errors import DomainError
from lms.core.forms import Form as FlaskForm
from lms.core.forms import int_or_none
from lms.core.pagination import page_arg, paginate
from lms.core.timezones import today_local
from lms.core.views import act, cohort_tabs, form_page, on_refusal
from plugins.benchmarking import grouping, individual, practices, queries, services, settings
from plugins.benchmarking import lokus as lokus_service
from plugins.benchmarking.forms import GroupImportForm, GroupRuleForm, HostForm, SplitForm, ThemeForm, VisitForm
from plugins.benchmarking.models import FieldVisit, Host

bp = Blueprint("benchmarking", __name__, url_prefix="/benchmarking", template_folder="templates")


# -- hosts ---------------------------------------------------------------------------------------


@bp.route("/hosts")
@require("benchmarking.hosts.view")
def hosts():
    query = request.args.get("q", "").strip()
    archived = request.args.get("archived") == "1"
    page = paginate(
        db.session, services.search_hosts(query, archived), page_arg(request.args), current_app.config["PAGE_SIZE"]
    )
    counts = services.visit_counts(db.session, [h.id for h in page.items])
    return render_template(
        "benchmarking/hosts.html", page=page, q=query, archived=archived, counts=counts, kinds=services.HOST_KIND_LABELS
    )


def _host_fields(form: HostForm) -> dict[str, str]:
    return {key: getattr(form, key).data or "" for key in services.HOST_FIELDS}


@bp.route("/hosts/new", methods=["GET", "POST"])
@require("benchmarking.hosts.manage")
def create_host():
    form = HostForm()
    page = form_page(form, "benchmarking/host_form.html", host=None)
    if form.validate_on_submit():
        host = services.save_host(db.session, None, actor=current_user, **_host_fields(form))
        flash(_("%(name)s is added to the catalogue.", name=host.name), "success")
        return redirect(url_for("benchmarking.show_host", host_id=host.id))
    return page()


@bp.route("/hosts/<int:host_id>")
@require("benchmarking.hosts.view", load=Host)
def show_host(host: Host):
    visits = queries.visits_to_host(db.session, host.id)
    return render_template(
        "benchmarking/host.html",
        host=host,
        visits=visits,
        kinds=services.HOST_KIND_LABELS,
        top=practices.host_practices(db.session, host.id),
    )


@bp.route("/hosts/<int:host_id>/edit", methods=["GET", "POST"])
@require("benchmarking.host.edit", load=Host)
def edit_host(host: Host):
    form = HostForm(obj=host)
    page = form_page(form, "benchmarking/host_form.html", host=host)
    if request.method == "GET":
        form.kind.data = host.kind.value
    if form.validate_on_submit():
        services.save_host(db.session, host, actor=current_user, **_host_fields(form))
        flash(_("Saved."), "success")
        return redirect(url_for("benchmarking.show_host", host_id=host.id))
    return page()


@bp.route("/hosts/<int:host_id>/archive", methods=["POST"])
@require("benchmarking.host.edit", load=Host)
def archive_host(host: Host):
    if not FlaskForm().validate_on_submit():
        abort(400)
    archived = request.form.get("archived") == "1"
    services.set_archived(db.session, host, archived)
    flash(
        _("The host is archived: it stays on past visits but cannot be chosen for new ones.")
        if archived
        else _("The host is back in the catalogue."),
        "success",
    )
    return redirect(url_for("benchmarking.show_host", host_id=host.id))


@bp.route("/hosts/<int:host_id>/delete", methods=["POST"])
@require("benchmarking.host.edit", load=Host)
def delete_host(host: Host):
    if not FlaskForm().validate_on_submit():
        abort(400)
    name = host.name
    return act(
        lambda: services.delete_host(db.session, host),
        back=url_for("benchmarking.show_host", host_id=host.id),
        done=url_for("benchmarking.hosts"),
        message=_("%(name)s is deleted.", name=name),
    )


# -- visits --------------------------------------------------------------------------------------


@bp.route("/cohorts/<int:cohort_id>/visits")
@require("cohort.teach", load=Cohort)
def cohort_visits(cohort: Cohort):
    visits = services.cohort_visits(db.session, cohort.id)
    return render_template(
        "benchmarking/cohort_visits.html", cohort=cohort, visits=visits, tabs=cohort_tabs(cohort, current_user)
    )


def _visit_form(visit: FieldVisit | None = None) -> VisitForm:
    form = VisitForm(obj=visit)
    hosts = queries.hosts(db.session, with_archived=False)
    choices = [(h.id, h.name) for h in hosts]
    if visit is not None and visit.host.archived:
        choices.append((visit.host.id, visit.host.name))

    form.host_id.choices = [SelectChoice(i, n) for i, n in choices]
    return form


def _visit_fields(form: VisitForm) -> dict:
    host = db.session.get(Host, form.host_id.data)
    if host is None:
        abort(400)
    return {
        "host": host,
        "theme": form.theme.data,
        "start_date": form.start_date.data,
        "end_date": form.end_date.data,
        "location": form.location.data or "",
        "briefing": form.briefing.data or "",
        "guiding_questions": form.guiding_questions.data or "",
        "allow_withdraw": bool(form.allow_withdraw.data),
        "due_date": form.due_date.data,
        "min_practices": form.min_practices.data,
        "plan_graded": bool(form.plan_graded.data),
        "followup_months": form.followup_months.data or None,
    }


@bp.route("/cohorts/<int:cohort_id>/visits/new", methods=["GET", "POST"])
@require("cohort.edit", load=Cohort)
def create_visit(cohort: Cohort):
    form = _visit_form()
    if request.method == "GET":
        defaults = settings.of_program(db.session, cohort.program_id)
        form.min_practices.data, form.plan_graded.data = defaults.min_practices, defaults.plan_graded
    page = form_page(form, "benchmarking/visit_form.html", cohort=cohort, visit=None)
    if not form.host_id.choices:
        flash(_("Add a host organisation to the catalogue first."), "info")
    if form.validate_on_submit():
        visit = services.save_visit(db.session, None, cohort=cohort, **_visit_fields(form))
        practices.ensure_assessments(db.session, visit, current_user)
        individual.apply_pka_defaults(db.session, visit, current_user)
        flash(_("The visit is scheduled. Next: split the participants into groups."), "success")
        return redirect(url_for("benchmarking.show_visit", visit_id=visit.id))
    return page()


GROUP_CARDS_PER_PAGE = 12


@bp.route("/visits/<int:visit_id>")
@require("benchmarking.visit.view", load=FieldVisit, arg="visit_id")
def show_visit(visit: FieldVisit):
    return _visit_page(visit)


def _visit_page(visit: FieldVisit, status: int = 200):
    """The visit, a page of group cards and, for those who arrange groups, a page of the cohort's
    people with their group: a fixed number of queries and a bounded page whatever the cohort size."""
    groups, sizes, members = services.group_cards(
        db.session, visit, int_or_none(request.args.get("groups")) or 1, GROUP_CARDS_PER_PAGE
    )
    people_count, unassigned, group_rows = services.group_overview(db.session, visit)
    places = lokus_service.of_visit(db.session, visit.id)
    filters = {k: request.args.get(k, "").strip()[:100] for k in ("q", "group") if request.args.get(k, "").strip()}
    people = None
    if access.can(current_user, "benchmarking.visit.manage", visit):
        people = paginate(
            db.session,
            services.people_of_visit(visit, filters.get("q", ""), filters.get("group", "")),
            page_arg(request.args),
            current_app.config["PAGE_SIZE"],
            scalars=False,
        )
    return render_template(
        "benchmarking/visit.html",
        visit=visit,
        groups=groups,
        sizes=sizes,
        members=members,
        people=people,
        people_count=people_count,
        unassigned=unassigned,
        group_names={gid: name for gid, name, _leader in group_rows},
        leaders={leader for _g, _n, leader in group_rows if leader},
        filters=filters,
        split_form=SplitForm(count=len(group_rows) or min(4, max(1, people_count))),
        places=places,
        lokus_names={place.id: place.name for place in places},
        rule_form=GroupRuleForm(count=len(group_rows) or min(6, max(1, people_count))),
        import_form=GroupImportForm(),
        theme_form=_theme_form(visit),
    ), status


def _theme_form(visit: FieldVisit) -> ThemeForm | None:
    """The peserta's own theme for the visit (groups may be formed by it); None for anyone else."""
    if not access.can(current_user, "benchmarking.visit.log", visit):
        return None
    return ThemeForm(theme=grouping.themes_of(db.session, visit.id, current_user.id).get(current_user.id, ""))


@bp.route("/visits/<int:visit_id>/edit", methods=["GET", "POST"])
@require("benchmarking.visit.manage", load=FieldVisit, arg="visit_id")
def edit_visit(visit: FieldVisit):
    form = _visit_form(visit)
    page = form_page(form, "benchmarking/visit_form.html", cohort=visit.cohort, visit=visit)
    if form.validate_on_submit():
        services.save_visit(db.session, visit, cohort=visit.cohort, **_visit_fields(form))
        flash(_("Saved."), "success")
        return redirect(url_for("benchmarking.show_visit", visit_id=visit.id))
    return page()


@bp.route("/visits/<int:visit_id>/delete", methods=["POST"])
@require("benchmarking.visit.manage", load=FieldVisit, arg="visit_id")
def delete_visit(visit: FieldVisit):
    if not FlaskForm().validate_on_submit():
        abort(400)
    cohort_id = visit.cohort_id
    return act(
        lambda: services.delete_visit(db.session, visit),
        back=url_for("benchmarking.show_visit", visit_id=visit.id),
        done=url_for("benchmarking.cohort_visits", cohort_id=cohort_id),
        message=_("The visit is deleted."),
    )


@bp.route("/visits/<int:visit_id>/groups/split", methods=["POST"])
@require("benchmarking.visit.manage", load=FieldVisit, arg="visit_id")
def split_groups(visit: FieldVisit):
    form = SplitForm()
    if not form.validate_on_submit():
        flash(_("Choose a number of groups."), "danger")
        return redirect(url_for("benchmarking.show_visit", visit_id=visit.id))
    return act(
        lambda: services.split_groups(db.session, visit, form.count.data),
        back=url_for("benchmarking.show_visit", visit_id=visit.id),
        message=lambda groups: _(
            "Participants are split into %(n)s groups. Adjust them below if needed.", n=len(groups)
        ),
    )


def _int_or_none(raw: str | None) -> int | None:
    return int_or_none(raw)


@bp.route("/visits/<int:visit_id>/groups", methods=["POST"])
@require("benchmarking.visit.manage", load=FieldVisit, arg="visit_id")
def assign_groups(visit: FieldVisit):
    if not FlaskForm().validate_on_submit():
        abort(400)
    members = {
        int(k.split("-", 1)[1]): _int_or_none(v)
        for k, v in request.form.items()
        if k.startswith("member-") and int_or_none(k.split("-", 1)[1]) is not None
    }
    leaders = {
        int(k.split("-", 1)[1]): _int_or_none(v)
        for k, v in request.form.items()
        if k.startswith("leader-") and int_or_none(k.split("-", 1)[1]) is not None
    }

    def refused(error: DomainError) -> Any:
        flash(error.message, "danger")
        return _visit_page(visit, error.status)  # same page, nothing saved

    on_refusal(refused)
    services.assign_groups(db.session, visit, members, leaders)
    flash(_("Groups saved."), "success")
    return redirect(url_for("benchmarking.show_visit", visit_id=visit.id))


def _back_to_people(visit: FieldVisit) -> str:
    """The people list as it was filtered when the form was sent (the form carries its filters)."""
    keep: dict[str, Any] = {k: request.form.get(k, "") for k in ("q", "group", "page") if request.form.get(k, "")}
    return url_for("benchmarking.show_visit", visit_id=visit.id, **keep) + "#people"


@bp.route("/visits/<int:visit_id>/groups/move", methods=["POST"])
@require("benchmarking.visit.manage", load=FieldVisit, arg="visit_id")
def move_members(visit: FieldVisit):
    people = [n for n in (int_or_none(v) for v in request.form.getlist("person")) if n is not None]
    target = request.form.get("to", "")
    group_id = int_or_none(target)
    if target and group_id is None:
        abort(400)
    return act(
        lambda: services.move_members(db.session, visit, people, group_id),
        back=_back_to_people(visit),
        message=lambda n: ngettext("%(num)s participant moved.", "%(num)s participants moved.", n),
    )


@bp.route("/visits/<int:visit_id>/groups/leader", methods=["POST"])
@require("benchmarking.visit.manage", load=FieldVisit, arg="visit_id")
def make_leader(visit: FieldVisit):
    user_id = int_or_none(request.form.get("leader"))
    if user_id is None:
        abort(400)
    return act(
        lambda: services.make_leader(db.session, visit, user_id),
        back=_back_to_people(visit),
        message=lambda group: _("Leader of %(group)s changed.", group=group.name),
    )


@bp.route("/my-visits")
@require("benchmarking.participant")
def my_visits():
    items = services.visits_of_participant(db.session, current_user)
    return render_template("benchmarking/my_visits.html", items=items, today=today_local())
