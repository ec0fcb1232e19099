from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from lms.core.forms import EmailAddress, Form
from plugins.benchmarking.change_projects import STAGE_LABELS as CHANGE_PROJECT_STAGES
from plugins.benchmarking.grouping import RULES
from plugins.benchmarking.individual import MODE_LABELS
from plugins.benchmarking.mentors import VERDICT_LABELS
from plugins.benchmarking.models import (
    ChangeProjectStage,
    HostKind,
    ImplementationStatus,
    MentorVerdict,
    PracticeCategory,
    Stage,
)
from plugins.benchmarking.practices import (
    CATEGORY_LABELS,
    REASON_LABELS,
    REASONS,
    STAGE_LABELS,
    STATUS_LABELS,
)
from plugins.benchmarking.services import HOST_KIND_LABELS


class HostForm(Form):
    name = StringField(
        _l("Name"), validators=[DataRequired(), Length(max=200)], render_kw={"placeholder": "Pemerintah Kota Pontianak"}
    )
    kind = SelectField(
        _l("Kind"), choices=[SelectChoice(k.value, HOST_KIND_LABELS[k]) for k in HostKind], default=HostKind.CITY.value
    )
    region = StringField(
        _l("Region"), validators=[Optional(), Length(max=200)], render_kw={"placeholder": "Kalimantan Barat"}
    )
    address = TextAreaField(_l("Address"), validators=[Optional(), Length(max=1000)], render_kw={"rows": 2})
    website = StringField(
        _l("Website"), validators=[Optional(), Length(max=300)], render_kw={"placeholder": "https://"}
    )
    recognition = TextAreaField(
        _l("Recognition (Markdown)"), validators=[Optional(), Length(max=20000)], render_kw={"rows": 5}
    )
    contact_name = StringField(_l("Contact person"), validators=[Optional(), Length(max=200)])
    contact_email = EmailField(_l("Contact email"), validators=[Optional(), EmailAddress(), Length(max=254)])
    contact_phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=50)])


class VisitForm(Form):
    host_id = SelectField(_l("Host organisation"), coerce=int, validators=[DataRequired()])
    theme = StringField(
        _l("Theme"), validators=[DataRequired(), Length(max=300)], render_kw={"placeholder": "Inovasi pelayanan publik"}
    )
    start_date = DateField(_l("Start date"), validators=[DataRequired()])
    end_date = DateField(_l("End date"), validators=[DataRequired()])
    location = StringField(_l("Location"), validators=[Optional(), Length(max=300)])
    briefing = TextAreaField(
        _l("Briefing (Markdown)"), validators=[Optional(), Length(max=50000)], render_kw={"rows": 8}
    )
    guiding_questions = TextAreaField(
        _l("Guiding questions, one per line"), validators=[Optional(), Length(max=10000)], render_kw={"rows": 5}
    )
    allow_withdraw = BooleanField(
        _l("Participants may take a submitted practice back to draft until grading starts"), default=True
    )
    due_date = DateField(
        _l("Practices due on"),
        validators=[Optional()],
        description=_l("Empty: two weeks after the visit ends."),
    )
    min_practices = IntegerField(
        _l("Minimum number of practices per peserta"),
        validators=[Optional(), NumberRange(min=1, max=20)],
        description=_l("Checked when a peserta submits."),
    )
    plan_graded = BooleanField(_l("Grade the groups' pre-visit plans"))
    followup_months = StringField(
        _l("Follow-up rounds, months after the training"),
        validators=[Optional(), Length(max=40)],
        default="3, 6, 12",
        description=_l("Comma-separated; the PKA default is 3, 6, 12."),
    )

    def validate_end_date(self, field):
        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError(_l("The visit ends before it starts."))

    def validate_due_date(self, field):
        if field.data and self.end_date.data and field.data < self.end_date.data:
            raise ValidationError(_l("The practices cannot be due before the visit ends."))


class ProgramSettingsForm(Form):
    activity_name = StringField(
        _l("Name of the activity"),
        validators=[DataRequired(), Length(max=60)],
        render_kw={"list": "activity-names"},
        description=_l(
            "Studi Lapangan (PKA and PKP), Benchmarking or Benchlearning; used on every page, e-mail and export."
        ),
    )
    min_practices = IntegerField(
        _l("Minimum number of practices per peserta (new visits)"),
        validators=[InputRequired(), NumberRange(min=1, max=20)],
        default=3,
    )
    plan_graded = BooleanField(_l("Grade the groups' pre-visit plans (new visits)"))


class LokusForm(Form):
    host_id = SelectField(_l("Host organisation"), coerce=int, validators=[DataRequired()])
    name = StringField(
        _l("Lokus"),
        validators=[DataRequired(), Length(max=200)],
        render_kw={"placeholder": "RSUD Sultan Syarif Mohamad Alkadrie"},
    )
    visit_date = DateField(_l("Date"), validators=[Optional()])
    address = TextAreaField(_l("Address"), validators=[Optional(), Length(max=1000)], render_kw={"rows": 2})
    contact_name = StringField(_l("Contact person"), validators=[Optional(), Length(max=200)])
    contact_phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=50)])
    chosen_for = TextAreaField(
        _l("Innovation or award it is chosen for (Markdown)"),
        validators=[Optional(), Length(max=5000)],
        render_kw={"rows": 3},
    )


class GroupRuleForm(Form):
    rule = SelectField(_l("Form the groups"))
    count = IntegerField(_l("Number of groups"), validators=[DataRequired(), NumberRange(min=1, max=100)], default=4)
    fingerprint = HiddenField(validators=[Optional(), Length(max=64)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rule.choices = [SelectChoice(key, label) for key, label in RULES.items()]


class GroupImportForm(Form):
    file = FileField(_l("CSV or XLSX file with the columns NIP and group (optional: lokus)"))


class ThemeForm(Form):
    theme = StringField(
        _l("The theme you want to look into"),
        validators=[Optional(), Length(max=200)],
        render_kw={"placeholder": "Pelayanan kesehatan"},
    )


class SplitForm(Form):
    count = IntegerField(_l("Number of groups"), validators=[DataRequired(), NumberRange(min=1, max=100)], default=4)


class PracticeForm(Form):
    """A practice; a draft saves with anything filled in (the stage rules are checked at submit)."""

    title = StringField(
        _l("Practice"),
        validators=[Optional(), Length(max=300)],
        render_kw={"placeholder": "Rumah sakit tanpa kelas"},
    )
    category = SelectField(_l("Category"), default=PracticeCategory.SERVICE_INNOVATION.value)
    identified = TextAreaField(
        _l("What the host does, and why it works (Markdown)"),
        validators=[Optional(), Length(max=50000)],
        render_kw={"rows": 7},
    )
    evidence_links = TextAreaField(
        _l("Evidence links, one per line"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 2}
    )
    stage = SelectField(_l("Stage"), default=Stage.IDENTIFIED.value)
    adoption_plan = TextAreaField(
        _l("Adoption: what will be replicated as it is, and where"),
        validators=[Optional(), Length(max=20000)],
        render_kw={"rows": 4},
    )
    changes = TextAreaField(
        _l("Adaptation: what changes, and why"), validators=[Optional(), Length(max=20000)], render_kw={"rows": 4}
    )
    # Checkboxes (shown as chips): a multi-select needs Ctrl-click, which a phone does not have.
    reasons = SelectMultipleField(
        _l("Why it must change"),
        validators=[Optional()],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    target_unit = StringField(_l("Target unit"), validators=[Optional(), Length(max=300)])
    timeline = TextAreaField(_l("Timeline"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 2})
    resources = TextAreaField(_l("Resources needed"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 2})
    risks = TextAreaField(_l("Risks"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 2})
    change_project_link = TextAreaField(
        _l("Link to your change project (aksi perubahan)"),
        validators=[Optional(), Length(max=2000)],
        render_kw={"rows": 1},
    )
    success_factors = TextAreaField(
        _l("Key success factors (kunci sukses): why it works at the host"),
        validators=[Optional(), Length(max=10000)],
        render_kw={"rows": 3},
    )
    not_adopted_reason = TextAreaField(
        _l("Not adopted because…"),
        validators=[Optional(), Length(max=10000)],
        render_kw={"rows": 2},
    )
    host_recommendations = TextAreaField(
        _l("Recommendations for the host"),
        validators=[Optional(), Length(max=10000)],
        render_kw={"rows": 3},
    )
    private_note = TextAreaField(
        _l("Private note (only you see it)"),
        validators=[Optional(), Length(max=10000)],
        render_kw={"rows": 2, "data-keep-not": True},
    )  # never kept on a shared device
    # Without JavaScript a photo goes with "Save draft" (the first one included); with it, at once.
    file = FileField(_l("Evidence file (photo, PDF or office document)"))
    # A new practice: one key per rendering of the form, so a double submit stores it once.
    form_key = HiddenField(validators=[Optional(), Length(max=64)])
    # An existing practice: the version this form shows, so a save from a stale tab is refused.
    version = HiddenField(validators=[Optional(), Length(max=12)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = [SelectChoice(c.value, CATEGORY_LABELS[c]) for c in PracticeCategory]
        self.stage.choices = [SelectChoice(s.value, STAGE_LABELS[s]) for s in Stage]
        self.reasons.choices = [SelectChoice(r, REASON_LABELS[r]) for r in REASONS]


class EvidenceForm(Form):
    file = FileField(_l("Evidence file (photo, PDF or office document)"))


class RoundForm(Form):
    title = StringField(
        _l("Title"),
        validators=[DataRequired(), Length(max=200)],
        render_kw={"placeholder": "3 bulan setelah kunjungan"},
    )
    opens_on = DateField(_l("Opens on"), validators=[DataRequired()])
    due_on = DateField(_l("Due on"), validators=[Optional()])


class FollowupForm(Form):
    status = SelectField(_l("Status"))
    outcome = TextAreaField(_l("Outcome (Markdown)"), validators=[Optional(), Length(max=20000)], render_kw={"rows": 3})
    discontinued_reason = TextAreaField(
        _l("Why it was discontinued (required when discontinued)"),
        validators=[Optional(), Length(max=5000)],
        render_kw={"rows": 2},
    )
    evidence_links = TextAreaField(
        _l("Evidence links, one per line"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 2}
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [SelectChoice(s.value, STATUS_LABELS[s]) for s in ImplementationStatus]


class AdjustmentForm(Form):
    member_id = SelectField(_l("Member"), coerce=int)
    delta = DecimalField(_l("Points (+/−)"), places=2, validators=[InputRequired(message=_l("Enter the points."))])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


class MentorForm(Form):
    """The mentor's details; the address and the NIP are checked by the project's rules (mentors.invite)."""

    name = StringField(_l("Mentor's name"), validators=[DataRequired(), Length(max=200)])
    position = StringField(
        _l("Position"), validators=[Optional(), Length(max=200)], render_kw={"placeholder": "Kepala Dinas"}
    )
    nip = StringField(_l("NIP (optional)"), validators=[Optional(), Length(max=40)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), EmailAddress()])


class MentorAnswerForm(Form):
    followup_id = HiddenField()
    verdict = SelectField(_l("Your answer"))
    comment = TextAreaField(
        _l("Comment (required unless you confirm)"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 2}
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.verdict.choices = [SelectChoice(v.value, VERDICT_LABELS[v]) for v in MentorVerdict]


class GradingForm(Form):
    """How a visit's individual report is graded and how the group score is weighed."""

    report_mode = SelectField(_l("Individual report"))
    report_weight = DecimalField(
        _l("Weight of the group report in the group score"),
        places=2,
        validators=[InputRequired(message=_l("Enter a weight.")), NumberRange(min=0, max=100)],
    )
    presentation_weight = DecimalField(
        _l("Weight of the seminar presentation in the group score"),
        places=2,
        validators=[InputRequired(message=_l("Enter a weight.")), NumberRange(min=0, max=100)],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.report_mode.choices = [SelectChoice(k, v) for k, v in MODE_LABELS.items()]


class SeminarSessionForm(Form):
    """A seminar session; its groups (with their order) and panel are read from the page's checkboxes."""

    title = StringField(
        _l("Title"), validators=[DataRequired(), Length(max=200)], render_kw={"placeholder": "Seminar kelompok, sesi 1"}
    )
    day = DateField(_l("Date"), validators=[DataRequired()])
    start = TimeField(_l("Time"), validators=[DataRequired()])
    place = StringField(
        _l("Room or meeting link"),
        validators=[Optional(), Length(max=500)],
        render_kw={"placeholder": "Aula Lt. 2 / https://"},
    )


class ChangeProjectForm(Form):
    title = StringField(_l("Title of your aksi perubahan"), validators=[DataRequired(), Length(max=300)])
    stage = SelectField(_l("Stage reached"))
    mentor_id = SelectField(_l("Mentor who approves it"), validators=[Optional()])

    def __init__(self, *args, mentors=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.stage.choices = [SelectChoice(s.value, CHANGE_PROJECT_STAGES[s]) for s in ChangeProjectStage]
        self.mentor_id.choices = [SelectChoice("", _l("— none yet —"))] + [
            SelectChoice(str(m.id), f"{m.name} ({m.email})") for m in mentors
        ]
