"""Every core model, imported so that ``Base.metadata`` knows the whole core schema."""

from lms.cohorts.models import Cohort, Membership, Program
from lms.users.models import ParticipantProfile, User

__all__ = ["Cohort", "Membership", "ParticipantProfile", "Program", "User"]
