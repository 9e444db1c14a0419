"""Every table of the internal schema, importable from one place."""

from db.models.aggregates import DiaryMarkDaily as DiaryMarkDaily
from db.models.aggregates import DiaryMarkMonthly as DiaryMarkMonthly
from db.models.aggregates import PeriodMarkSummary as PeriodMarkSummary
from db.models.base import Base, utcnow
from db.models.dictionary import Classifier, ClassifierItem
from db.models.education import BaseSubject, ClassGroup, EducationArea, LocalSubject, StudyPeriod
from db.models.enrolment import Enrolment
from db.models.exchange import (
    ChangeLog,
    FieldProvenance,
    InfoSystem,
    Job,
    LoadJournal,
    LoadRowError,
    Packet,
    ProviderPriority,
    SmevMessage,
    SystemCertificate,
    SystemContractGrant,
    SystemWriteScope,
)
from db.models.grades import DiaryMark, ExamResult, PeriodMark
from db.models.people import (
    Achievement,
    EducationDocument,
    IdentityDocument,
    LegalRepresentative,
    Person,
    PersonAddress,
    Student,
)
from db.models.queue import QueueApplication, QueuePreference, QueueStatusChange
from db.models.report_enrolment import ReportEnrolment
from db.models.security import AppUser, AuditEvent, WsNonce
from db.models.student_surname import StudentSurname
from db.models.territory import Address, Authority, Branch, Municipality, Organization, OrgUnit, OrgUnitClosure, Region

__all__ = [
    "Achievement",
    "Address",
    "AppUser",
    "AuditEvent",
    "Authority",
    "Base",
    "BaseSubject",
    "Branch",
    "ChangeLog",
    "ClassGroup",
    "Classifier",
    "ClassifierItem",
    "DiaryMark",
    "EducationArea",
    "EducationDocument",
    "Enrolment",
    "ExamResult",
    "FieldProvenance",
    "IdentityDocument",
    "InfoSystem",
    "Job",
    "LegalRepresentative",
    "LoadJournal",
    "LoadRowError",
    "LocalSubject",
    "Municipality",
    "OrgUnit",
    "OrgUnitClosure",
    "Organization",
    "Packet",
    "PeriodMark",
    "Person",
    "PersonAddress",
    "ProviderPriority",
    "QueueApplication",
    "QueuePreference",
    "QueueStatusChange",
    "Region",
    "ReportEnrolment",
    "SmevMessage",
    "Student",
    "StudentSurname",
    "StudyPeriod",
    "SystemCertificate",
    "SystemContractGrant",
    "SystemWriteScope",
    "WsNonce",
    "utcnow",
]
