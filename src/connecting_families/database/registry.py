"""Every table of the service, in the order they can be created."""

from piccolo.table import Table

from connecting_families.accounts.tables import (
    AuthToken,
    LoginAttempt,
    Team,
    User,
    UserProgramme,
    UserRole,
)
from connecting_families.assessments.tables import Assessment, Need
from connecting_families.audit.tables import AuditEvent
from connecting_families.claims.tables import Claim, ClaimLine, ClaimLineQuery, ClaimWindow
from connecting_families.consent.tables import Consent
from connecting_families.evaluation.tables import KeptVerdict
from connecting_families.evidence.tables import (
    AntisocialBehaviour,
    Attendance,
    BenefitSpell,
    EmploymentSpell,
    Exclusion,
    Observation,
    Offence,
    WorkProgrammeStart,
)
from connecting_families.families.tables import (
    Allocation,
    CaseNote,
    Family,
    FamilyRevision,
    FamilyShare,
    FamilyStatusChange,
    Membership,
    Person,
)
from connecting_families.frontdoor.tables import Contact, ContactPerson
from connecting_families.imports.tables import ImportRun
from connecting_families.meetings.tables import FamilyMeeting
from connecting_families.plans.tables import (
    FamilyPlan,
    PlanAction,
    PlanGoal,
    PlanReview,
    PlanReviewProgress,
)
from connecting_families.programmes.tables import ChildPopulation, Programme
from connecting_families.reports.tables import VerdictFact, VerdictFamily, VerdictRun

TABLES: tuple[type[Table], ...] = (
    Programme,
    ChildPopulation,
    Team,
    User,
    UserRole,
    UserProgramme,
    AuthToken,
    LoginAttempt,
    ImportRun,
    Family,
    FamilyStatusChange,
    FamilyRevision,
    Person,
    Membership,
    Allocation,
    FamilyShare,
    CaseNote,
    Consent,
    Contact,
    ContactPerson,
    FamilyMeeting,
    Assessment,
    Need,
    FamilyPlan,
    PlanGoal,
    PlanAction,
    PlanReview,
    PlanReviewProgress,
    Attendance,
    Exclusion,
    Offence,
    AntisocialBehaviour,
    BenefitSpell,
    EmploymentSpell,
    WorkProgrammeStart,
    Observation,
    ClaimWindow,
    Claim,
    ClaimLine,
    VerdictRun,
    VerdictFamily,
    VerdictFact,
    AuditEvent,
    ClaimLineQuery,
    KeptVerdict,
)
