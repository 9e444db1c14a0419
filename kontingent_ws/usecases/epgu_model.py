"""Plain values of the EPGU performance service: the query, the performance found, the refusal.

Both wire forms (the XML of ``xsd/epgu-performance-1.0.0.xsd`` for SMEV and the Spyne types of
the direct ``EpguPerformance`` contract) are mapped to and from these, so the rules live once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

ACCESS_DENIED = "ACCESS_DENIED"
NO_DATA = "NO_DATA"
BAD_REQUEST = "BAD_REQUEST"

PUPIL_NOT_FOUND = "PUPIL_NOT_FOUND"
PUPIL_AMBIGUOUS = "PUPIL_AMBIGUOUS"
NO_DATA_FOR_PERIOD = "NO_DATA_FOR_PERIOD"
NOT_REPRESENTATIVE = "NOT_REPRESENTATIVE"
APPLICANT_UNDER_14 = "APPLICANT_UNDER_14"
INVALID_REQUEST = "INVALID_REQUEST"

SELF_APPLICATION_AGE = 14
"""A pupil of this age (full years on the request date) may ask for their own diary."""
MAX_RANGE_DAYS = 366
"""Longest date range one request may cover."""


@dataclass(frozen=True, kw_only=True)
class PersonData:
    """Surname, name, patronymic (if any) and birth date, as the applicant typed them."""

    last_name: str
    first_name: str
    middle_name: str | None
    birth_date: dt.date


@dataclass(frozen=True, kw_only=True)
class DocumentRef:
    """An identity document named by the applicant."""

    type_code: str
    """ФНС code: 21 passport of РФ, 03 birth certificate, 91 other."""
    series: str | None
    number: str


@dataclass(frozen=True, kw_only=True)
class PupilRef:
    """How the request names the pupil: by СНИЛС or by name and birth date."""

    snils: str | None = None
    person: PersonData | None = None


@dataclass(frozen=True, kw_only=True)
class RepresentativeRef:
    """How the request names a legal representative: СНИЛС and/or name, birth date and document."""

    snils: str | None = None
    person: PersonData | None = None
    document: DocumentRef | None = None


@dataclass(frozen=True, kw_only=True)
class PerformanceQuery:
    """One request of the electronic-diary service."""

    pupil: PupilRef
    representative: RepresentativeRef | None
    """The applicant; ``None`` when the applicant is the pupil."""
    school_year: int | None = None
    """A school year by its first year (2024 = 2024/2025); or else the date range below."""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


@dataclass(frozen=True, kw_only=True)
class Refusal:
    """A reasoned refusal: ``code`` (ACCESS_DENIED, NO_DATA, BAD_REQUEST), finer ``reason``, Russian text."""

    code: str
    reason: str
    message: str


@dataclass(frozen=True, kw_only=True)
class Mark:
    scale: str
    """Classifier ``mark_scale`` code."""
    value: str
    """Raw value as the organization set it."""
    numeric: Decimal | None
    text: str
    """The mark in words, for display."""


@dataclass(frozen=True, kw_only=True)
class DiaryMarkInfo:
    date: dt.date
    mark: Mark
    weight: int
    control_form_code: str | None
    control_form_name: str | None
    comment: str | None


@dataclass(frozen=True, kw_only=True)
class PeriodMarkInfo:
    school_year: int
    period_kind: str
    period_number: int
    mark: Mark


@dataclass(frozen=True, kw_only=True)
class YearMarkInfo:
    school_year: int
    mark: Mark


@dataclass(frozen=True, kw_only=True)
class SubjectPerformance:
    name: str
    base_subject_code: str | None
    base_subject_name: str | None
    diary_marks: tuple[DiaryMarkInfo, ...]
    period_marks: tuple[PeriodMarkInfo, ...]
    annual_marks: tuple[YearMarkInfo, ...]
    final_marks: tuple[YearMarkInfo, ...]


@dataclass(frozen=True, kw_only=True)
class StudyPeriodInfo:
    school_year: int
    kind: str
    number: int
    name: str
    start_date: dt.date
    end_date: dt.date


@dataclass(frozen=True, kw_only=True)
class ClassInfo:
    name: str
    grade: int | None
    school_year: int


@dataclass(frozen=True, kw_only=True)
class OrganizationInfo:
    id: int
    full_name: str
    short_name: str
    inn: str | None
    ogrn: str | None


@dataclass(frozen=True, kw_only=True)
class EducationPerformance:
    """The pupil's performance in one organization within the requested range."""

    organization: OrganizationInfo
    class_info: ClassInfo | None
    study_periods: tuple[StudyPeriodInfo, ...]
    subjects: tuple[SubjectPerformance, ...]


@dataclass(frozen=True, kw_only=True)
class Performance:
    """What the applicant receives."""

    pupil: PersonData
    date_from: dt.date
    date_to: dt.date
    educations: tuple[EducationPerformance, ...]


@dataclass(frozen=True, kw_only=True)
class PerformanceResult:
    """The answer to a query: the performance, or a refusal (exactly one of them)."""

    performance: Performance | None = None
    refusal: Refusal | None = None

    @property
    def ok(self) -> bool:
        return self.performance is not None
