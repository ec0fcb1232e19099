"""Pages of the final result: a program's result definition (versions of weighted components), and a
cohort's side of it (the version it keeps, re-applying another, which work counts where, and the
penyelenggara's disciplinary decisions).

A blueprint of its own next to ``results`` (whose views show the table): these pages change what the
table is computed from, and are for penyelenggara rather than for every reader of results.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms import db
from lms.assessments.services import cohort_assessments
from lms.cohorts.models import Cohort, Program
from lms.core.access import require
from lms.core.errors import DomainError
from lms.core.predicates import DEFAULT_BANDS
from lms.core.timezones import now_utc
from lms.core.views import act, cohort_tabs, on_refusal
from lms.plugins.manager import get_plugin_manager
from lms.plugins.types import ResultSource
from lms.results import components, definitions
from lms.results import rules as _rules  # noqa: F401  (registers the results rules)
from lms.results.models import WORK_SOURCE, DisciplinaryDecision, ResultScheme
from lms.scoresheets.services import participants, sheets_of

bp = Blueprint("results_definitions", __name__, template_folder="templates")

MAX_COMPONENTS = 12


def sources() -> list[ResultSource]:
    """Every plugin source a component may be built from (``lms_result_sources``)."""
    found: list[ResultSource] = []
    for contributed in get_plugin_manager(current_app).hook.lms_result_sources():
        found.extend(contributed or [])
    return found


def _decimal(text: str, what: Any, *, optional: bool) -> Decimal | None:
    text = (text or "").strip().replace(",", ".")
    if not text:
        if optional:
            return None
        raise DomainError(_l("%(what)s: give a number.", what=what), field="components")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise DomainError(
            _l("%(what)s: “%(text)s” is not a number.", what=what, text=text[:20]), field="components"
        ) from None
    if not value.is_finite():
        raise DomainError(_l("%(what)s: “%(text)s” is not a number.", what=what, text=text[:20]), field="components")
    return value


def _typed_rows() -> list[dict[str, str]]:
    keys = request.form.getlist("key")[: MAX_COMPONENTS + 5]
    names = request.form.getlist("name")
    weights = request.form.getlist("weight")
    minimums = request.form.getlist("minimum")
    kinds = request.form.getlist("source")
    rows = []
    for i, key in enumerate(keys):
        rows.append(
            {
                "key": key.strip()[:40],
                "name": (names[i] if i < len(names) else "").strip()[:200],
                "weight": (weights[i] if i < len(weights) else "")[:20],
                "minimum": (minimums[i] if i < len(minimums) else "")[:20],
                "source": (kinds[i] if i < len(kinds) else WORK_SOURCE)[:80],
            }
        )
    return rows


def _parse(rows: list[dict[str, str]]) -> list[definitions.ComponentData]:
    out = []
    for number, row in enumerate(r for r in rows if r["key"] or r["name"] or r["weight"]):
        what = _("Component %(n)s", n=number + 1)
        weight = _decimal(row["weight"], _("%(what)s, weight", what=what), optional=False)
        minimum = _decimal(row["minimum"], _("%(what)s, minimum", what=what), optional=True)
        out.append(
            definitions.ComponentData(
                key=row["key"],
                name=row["name"],
                weight=weight or Decimal(0),
                minimum=minimum,
                source=row["source"] or WORK_SOURCE,
            )
        )
    if len(out) > MAX_COMPONENTS:
        raise DomainError(_l("At most %(n)s components.", n=MAX_COMPONENTS), field="components")
    return out


def _rows_of(scheme: ResultScheme | None) -> list[dict[str, str]]:
    if scheme is None:
        return []
    return [
        {
            "key": c.key,
            "name": c.name,
            "weight": str(c.weight.normalize()) if c.weight else "",
            "minimum": "" if c.minimum is None else str(c.minimum.normalize()),
            "source": c.source,
        }
        for c in scheme.components
    ]


@bp.route("/programs/<int:program_id>/result", methods=["GET", "POST"])
@require("program.edit", load=Program)
def program(program: Program):
    """The program's result definition: its versions and a form that saves the next one."""
    versions = definitions.versions(db.session, program)
    latest = versions[0] if versions else None
    available = sources()

    def page(rows: list[dict[str, str]], status: int = 200, error: Any = None) -> tuple[str, int]:
        blanks = max(3, 5 - len(rows))
        return render_template(
            "results/definition.html",
            program=program,
            versions=versions,
            latest=latest,
            rows=rows
            + [{"key": "", "name": "", "weight": "", "minimum": "", "source": WORK_SOURCE} for _n in range(blanks)],
            sources=available,
            error=error,
            pass_minimum=request.form.get("pass_minimum", "")
            if request.method == "POST"
            else ("" if latest is None or latest.pass_minimum is None else str(latest.pass_minimum.normalize())),
            default_bands=program.predicate_bands == DEFAULT_BANDS,
        ), status

    if request.method == "GET":
        return page(_rows_of(latest))
    typed = _typed_rows()
    on_refusal(lambda error: page(typed, error.status, error.message))
    parsed = _parse(typed)
    pass_minimum = _decimal(request.form.get("pass_minimum", ""), _("The minimum final score"), optional=True)
    base = request.form.get("base_version", "0")
    scheme = definitions.save_definition(
        db.session,
        program,
        parsed,
        current_user,
        now_utc(),
        sources={s.key for s in available},
        pass_minimum=pass_minimum,
        note=request.form.get("note", "")[:2000],
        base_version=int(base) if base.isdigit() else 0,
    )
    flash(
        _(
            "Version %(n)s of the result definition saved. Running cohorts keep the version they have until "
            "it is re-applied on their result page.",
            n=scheme.version,
        ),
        "success",
    )
    return redirect(url_for("results_definitions.program", program_id=program.id), code=303)


# -- a cohort's side -------------------------------------------------------------------------------


@bp.route("/cohorts/<int:cohort_id>/final-result")
@require("results.view", load=Cohort)
def cohort(cohort: Cohort):
    scheme = components.scheme_for(db.session, cohort)
    pin = components.pinned(db.session, cohort)
    names = {s.key: str(s.label) for s in sources()}
    return render_template(
        "results/final.html",
        cohort=cohort,
        scheme=scheme,
        pinned=pin,
        source_names=names,
        versions=definitions.versions(db.session, cohort.program),
        events=definitions.events(db.session, cohort),
        assessments=cohort_assessments(db.session, cohort.id),
        tags=definitions.work_tags(db.session, cohort),
        sheets=sheets_of(db.session, cohort),
        decisions=definitions.decisions(db.session, cohort),
        people=participants(db.session, cohort),
        work_source=WORK_SOURCE,
        tabs=cohort_tabs(cohort, current_user),
    )


def _back(cohort: Cohort) -> str:
    return url_for("results_definitions.cohort", cohort_id=cohort.id)


@bp.route("/cohorts/<int:cohort_id>/final-result/tags", methods=["POST"])
@require("cohort.edit", load=Cohort)
def tags(cohort: Cohort):
    scheme = components.scheme_for(db.session, cohort)
    keys = {c.key for c in scheme.components if c.source == WORK_SOURCE} if scheme else set()
    chosen: dict[int, str] = {}
    for name, value in request.form.items():
        if name.startswith("a-") and name[2:].isdigit() and len(name) < 14:
            chosen[int(name[2:])] = value.strip()
    return act(
        lambda: definitions.tag_work(
            db.session, cohort, chosen, keys, current_user, now_utc(), request.form.get("reason", "")[:2000]
        ),
        back=_back(cohort),
        message=_("Saved: the work counts towards the components chosen."),
    )


@bp.route("/cohorts/<int:cohort_id>/final-result/apply", methods=["POST"])
@require("cohort.edit", load=Cohort)
def apply(cohort: Cohort):
    wanted = request.form.get("scheme_id", "")
    base = request.form.get("base_scheme_id", "")
    scheme = db.session.get(ResultScheme, int(wanted)) if wanted.isdigit() and len(wanted) < 12 else None

    def run() -> None:
        if scheme is None:
            raise DomainError(_l("Choose a version of the program's result definition."))
        definitions.reapply(
            db.session,
            cohort,
            scheme,
            current_user,
            request.form.get("reason", "")[:2000],
            now_utc(),
            int(base) if base.isdigit() and len(base) < 12 else None,
        )

    return act(run, back=_back(cohort), message=_("The cohort now uses the chosen version; the change is recorded."))


@bp.route("/cohorts/<int:cohort_id>/final-result/decisions", methods=["POST"])
@require("cohort.edit", load=Cohort)
def decide(cohort: Cohort):
    who = request.form.get("participant_id", "")
    return act(
        lambda: definitions.record_decision(
            db.session,
            cohort,
            int(who) if who.isdigit() and len(who) < 12 else 0,
            request.form.get("reason", ""),
            current_user,
            now_utc(),
        ),
        back=_back(cohort),
        message=_("Decision recorded: the peserta does not pass."),
    )


@bp.route("/result-decisions/<int:decision_id>/withdraw", methods=["POST"])
@require("results.decision.edit", load=DisciplinaryDecision, arg="decision_id")
def withdraw(decision: DisciplinaryDecision):
    back = url_for("results_definitions.cohort", cohort_id=decision.cohort_id)
    return act(
        lambda: definitions.withdraw_decision(
            db.session, decision, request.form.get("reason", ""), current_user, now_utc()
        ),
        back=back,
        message=_("Decision withdrawn; it stays in the record."),
    )


def component_label(source: str, names: dict[str, str]) -> str:
    return _("Assessments and score sheets tagged with it") if source == WORK_SOURCE else names.get(source, source)


@bp.app_template_global("result_source_label")
def _source_label(source: str, names: dict[str, str]) -> str:
    return component_label(source, names)


@bp.app_template_global("default_predicate_bands")
def _default_bands() -> list[Any]:
    """Tolok's shipped bands: pages flag a program still using them as defaults to review."""
    return list(DEFAULT_BANDS)
