"""Every core model, imported so that ``Base.metadata`` knows the whole core schema."""

from lms.api.models import ApiToken
from lms.assessments.models import Assessment, Extension, Revision, Submission
from lms.attendance.models import AttendanceRecord, ClassSession
from lms.certificates.models import (
    Certificate,
    CertificateCounter,
    CertificateEvent,
    CertificateTemplate,
)
from lms.cohorts.models import Cohort, Membership, Program
from lms.grading.models import Grade, GradeCriterion, GradeEvent
from lms.invitations.models import ActivationCode
from lms.jobs.models import Job
from lms.mail.models import MailMessage
from lms.notifications.models import Notification, NotificationPreference
from lms.results.models import (
    CohortScheme,
    DisciplinaryDecision,
    ResultComponent,
    ResultScheme,
    SchemeEvent,
    WorkComponent,
)
from lms.rubrics.models import Criterion, Level, Rubric
from lms.scoresheets.models import ScoreSheet, SheetCriterion, SheetEntry, SheetEvent
from lms.users.models import ParticipantProfile, User

__all__ = [
    "ActivationCode",
    "ApiToken",
    "Assessment",
    "AttendanceRecord",
    "Certificate",
    "CertificateCounter",
    "CertificateEvent",
    "CertificateTemplate",
    "ClassSession",
    "Cohort",
    "Criterion",
    "Extension",
    "Grade",
    "GradeCriterion",
    "GradeEvent",
    "Job",
    "Level",
    "MailMessage",
    "Membership",
    "Notification",
    "NotificationPreference",
    "ParticipantProfile",
    "Program",
    "Revision",
    "Rubric",
    "Submission",
    "User",
    "CohortScheme",
    "DisciplinaryDecision",
    "ResultComponent",
    "ResultScheme",
    "SchemeEvent",
    "WorkComponent",
    "ScoreSheet",
    "SheetCriterion",
    "SheetEntry",
    "SheetEvent",
]
