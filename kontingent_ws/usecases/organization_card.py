"""An organization's portfolio and what opens from it: classes (groups), subjects, areas.

The portfolio's summary counts the students currently studying (``student.status_code`` 1) by
level and form of education, the classes of the latest school year, and says how fresh the
data is: the date and provider of the organization's last load in the load journal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import aliased, selectinload

from db.classifiers import (
    COMPENSATING_PROFILE,
    EDUCATION_FORM,
    EDUCATION_LEVEL,
    GROUP_AGE_BAND,
    GROUP_ORIENTATION,
    GROUP_REGIME,
    OKFS,
    OKOPF,
    ORG_STATUS,
    ORG_TYPE,
    PRESCHOOL_ACTIVITY,
    PROGRAM_KIND,
)
from db.dates import as_utc
from db.models import (
    AppUser,
    BaseSubject,
    Branch,
    ClassGroup,
    EducationArea,
    Enrolment,
    InfoSystem,
    LoadJournal,
    LocalSubject,
    Municipality,
    Organization,
    OrgUnit,
    Student,
)
from kontingent_ws.call import CallContext
from kontingent_ws.usecases.organizations import ensure_organization
from kontingent_ws.usecases.paging import label

STUDYING = "1"
AREA_KIND_NAMES = {
    "area": "Образовательная область",
    "direction": "Направленность (направление)",
    "specialty_group": "Укрупнённая группа специальностей",
    "specialty": "Специальность (профессия)",
}


@dataclass(frozen=True, kw_only=True)
class Requisites:
    inn: str | None
    kpp: str | None
    ogrn: str | None
    okpo: str | None
    oktmo: str | None
    okopf: str | None
    okopf_name: str | None
    okfs: str | None
    okfs_name: str | None


@dataclass(frozen=True, kw_only=True)
class Contacts:
    phone: str | None
    fax: str | None
    email: str | None
    website: str | None
    legal_address: str | None
    actual_address: str | None


@dataclass(frozen=True, kw_only=True)
class BranchView:
    id: int
    full_name: str
    short_name: str
    kpp: str | None
    phone: str | None
    email: str | None
    status: str
    status_name: str | None
    address: str | None


@dataclass(frozen=True, kw_only=True)
class StudentGroupCount:
    """Students currently studying at one level in one form of education."""

    education_level: str | None
    education_level_name: str | None
    education_form: str | None
    education_form_name: str | None
    count: int


@dataclass(frozen=True, kw_only=True)
class LastLoad:
    at: dt.datetime
    provider: str
    """Mnemonic of the provider system, or the login of the person who loaded a file."""
    provider_name: str | None
    status: str


@dataclass(frozen=True, kw_only=True)
class OrganizationPortfolio:
    id: int
    full_name: str
    short_name: str
    type_code: str
    type_name: str | None
    status: str
    status_name: str | None
    activity_kind: str | None
    activity_kind_name: str | None
    founded_on: dt.date | None
    license_number: str | None
    license_date: dt.date | None
    accreditation_number: str | None
    head_name: str | None
    parent_id: int | None
    parent_name: str | None
    municipality_id: int | None
    municipality_name: str | None
    requisites: Requisites
    contacts: Contacts
    branches: list[BranchView]
    students: list[StudentGroupCount]
    student_total: int
    class_count: int
    school_year: int | None
    """The school year whose classes ``class_count`` counts (the latest one with classes)."""
    last_load: LastLoad | None


@dataclass(frozen=True, kw_only=True)
class ClassView:
    id: int
    name: str
    school_year: int
    grade: int | None
    letter: str | None
    branch_id: int | None
    education_level: str | None
    education_level_name: str | None
    programme_kind: str | None
    programme_kind_name: str | None
    education_form: str
    education_form_name: str | None
    specialty_code: str | None
    orientation: str | None
    orientation_name: str | None
    compensating_profile: str | None
    compensating_profile_name: str | None
    regime: str | None
    regime_name: str | None
    age_band: str | None
    age_band_name: str | None
    capacity: int | None
    is_adapted: bool
    is_advanced: bool
    student_count: int
    """Students whose enrolment in the class is open (no exit date)."""


@dataclass(frozen=True, kw_only=True)
class SubjectView:
    id: int
    name: str
    external_id: str | None
    base_subject_id: int | None
    base_subject_code: str | None
    base_subject_name: str | None


@dataclass(frozen=True, kw_only=True)
class AreaView:
    id: int
    kind: str
    kind_name: str
    code: str
    name: str
    programme_kind: str | None
    programme_kind_name: str | None


def get_organization_portfolio(call: CallContext, *, organization_id: int) -> OrganizationPortfolio:
    ensure_organization(call, organization_id)
    parent = aliased(OrgUnit)
    org, municipality_name, parent_name = call.session.execute(
        select(Organization, Municipality.name, parent.short_name)
        .outerjoin(Municipality, Municipality.id == Organization.municipality_id)
        .outerjoin(parent, parent.id == Organization.parent_id)
        .options(
            selectinload(Organization.legal_address),
            selectinload(Organization.actual_address),
            selectinload(Organization.branches).selectinload(Branch.address),
        )
        .where(Organization.id == organization_id)
    ).one()
    groups = [
        StudentGroupCount(
            education_level=level,
            education_level_name=label(EDUCATION_LEVEL, level),
            education_form=form,
            education_form_name=label(EDUCATION_FORM, form),
            count=count,
        )
        for level, form, count in call.session.execute(
            select(Student.education_level_code, Student.education_form_code, func.count())
            .where(Student.current_organization_id == organization_id, Student.status_code == STUDYING)
            .group_by(Student.education_level_code, Student.education_form_code)
            .order_by(Student.education_level_code, Student.education_form_code)
        ).tuples()
    ]
    school_year, class_count = _class_count(call, organization_id)
    return OrganizationPortfolio(
        id=org.id,
        full_name=org.full_name,
        short_name=org.short_name,
        type_code=org.type_code,
        type_name=label(ORG_TYPE, org.type_code),
        status=org.status_code,
        status_name=label(ORG_STATUS, org.status_code),
        activity_kind=org.activity_kind_code,
        activity_kind_name=label(PRESCHOOL_ACTIVITY, org.activity_kind_code),
        founded_on=org.founded_on,
        license_number=org.license_number,
        license_date=org.license_date,
        accreditation_number=org.accreditation_number,
        head_name=org.head_name,
        parent_id=org.parent_id,
        parent_name=parent_name,
        municipality_id=org.municipality_id,
        municipality_name=municipality_name,
        requisites=requisites_of(org),
        contacts=contacts_of(org),
        branches=[
            BranchView(
                id=b.id,
                full_name=b.full_name,
                short_name=b.short_name,
                kpp=b.kpp,
                phone=b.phone,
                email=b.email,
                status=b.status_code,
                status_name=label(ORG_STATUS, b.status_code),
                address=b.address.full_text if b.address else None,
            )
            for b in org.branches
        ],
        students=groups,
        student_total=sum(group.count for group in groups),
        class_count=class_count,
        school_year=school_year,
        last_load=_last_load(call, organization_id),
    )


def requisites_of(unit: OrgUnit) -> Requisites:
    return Requisites(
        inn=unit.inn,
        kpp=unit.kpp,
        ogrn=unit.ogrn,
        okpo=unit.okpo,
        oktmo=unit.oktmo,
        okopf=unit.okopf_code,
        okopf_name=label(OKOPF, unit.okopf_code),
        okfs=unit.okfs_code,
        okfs_name=label(OKFS, unit.okfs_code),
    )


def contacts_of(unit: OrgUnit) -> Contacts:
    """Contacts with addresses: the caller must have loaded both address relationships."""
    return Contacts(
        phone=unit.phone,
        fax=unit.fax,
        email=unit.email,
        website=unit.website,
        legal_address=unit.legal_address.full_text if unit.legal_address else None,
        actual_address=unit.actual_address.full_text if unit.actual_address else None,
    )


def _class_count(call: CallContext, organization_id: int) -> tuple[int | None, int]:
    latest = (
        select(func.max(ClassGroup.school_year)).where(ClassGroup.organization_id == organization_id).scalar_subquery()
    )
    school_year, count = call.session.execute(
        select(func.max(ClassGroup.school_year), func.count(ClassGroup.id)).where(
            ClassGroup.organization_id == organization_id, ClassGroup.school_year == latest
        )
    ).one()
    return school_year, int(count)


def _last_load(call: CallContext, organization_id: int) -> LastLoad | None:
    found = call.session.execute(
        select(LoadJournal, InfoSystem.mnemonic, InfoSystem.name, AppUser.login, AppUser.full_name)
        .outerjoin(InfoSystem, InfoSystem.id == LoadJournal.system_id)
        .outerjoin(AppUser, AppUser.id == LoadJournal.user_id)
        .where(LoadJournal.organization_id == organization_id)
        .order_by(LoadJournal.started_at.desc(), LoadJournal.id.desc())
        .limit(1)
    ).first()
    if found is None:
        return None
    entry, mnemonic, system_name, login, user_name = found
    return LastLoad(
        at=as_utc(entry.finished_at or entry.started_at),
        provider=mnemonic or login or "—",
        provider_name=system_name or user_name,
        status=entry.status,
    )


def get_organization_classes(call: CallContext, *, organization_id: int, school_year: int | None) -> list[ClassView]:
    """Classes (groups) of one school year – the latest with classes when not given – by name."""
    ensure_organization(call, organization_id)
    year = school_year
    if year is None:
        year = call.session.scalar(
            select(func.max(ClassGroup.school_year)).where(ClassGroup.organization_id == organization_id)
        )
        if year is None:
            return []
    counts = (
        select(Enrolment.class_group_id, func.count().label("students"))
        .where(Enrolment.organization_id == organization_id, Enrolment.exit_date.is_(None))
        .group_by(Enrolment.class_group_id)
        .subquery()
    )
    rows = call.session.execute(
        select(ClassGroup, func.coalesce(counts.c.students, 0))
        .outerjoin(counts, counts.c.class_group_id == ClassGroup.id)
        .where(ClassGroup.organization_id == organization_id, ClassGroup.school_year == year)
        .order_by(ClassGroup.grade, ClassGroup.name, ClassGroup.id)
    ).tuples()
    return [
        ClassView(
            id=c.id,
            name=c.name,
            school_year=c.school_year,
            grade=c.grade,
            letter=c.letter,
            branch_id=c.branch_id,
            education_level=c.education_level_code,
            education_level_name=label(EDUCATION_LEVEL, c.education_level_code),
            programme_kind=c.programme_kind_code,
            programme_kind_name=label(PROGRAM_KIND, c.programme_kind_code),
            education_form=c.education_form_code,
            education_form_name=label(EDUCATION_FORM, c.education_form_code),
            specialty_code=c.specialty_code,
            orientation=c.orientation_code,
            orientation_name=label(GROUP_ORIENTATION, c.orientation_code),
            compensating_profile=c.compensating_profile_code,
            compensating_profile_name=label(COMPENSATING_PROFILE, c.compensating_profile_code),
            regime=c.regime_code,
            regime_name=label(GROUP_REGIME, c.regime_code),
            age_band=c.age_band_code,
            age_band_name=label(GROUP_AGE_BAND, c.age_band_code),
            capacity=c.capacity,
            is_adapted=c.is_adapted,
            is_advanced=c.is_advanced,
            student_count=int(students),
        )
        for c, students in rows
    ]


def get_organization_subjects(call: CallContext, *, organization_id: int) -> list[SubjectView]:
    """The organization's subjects with their binding to the base subject dictionary, by name."""
    ensure_organization(call, organization_id)
    return [
        SubjectView(
            id=s.id,
            name=s.name,
            external_id=s.external_id,
            base_subject_id=s.base_subject_id,
            base_subject_code=code,
            base_subject_name=name,
        )
        for s, code, name in call.session.execute(
            select(LocalSubject, BaseSubject.code, BaseSubject.name)
            .outerjoin(BaseSubject, BaseSubject.id == LocalSubject.base_subject_id)
            .where(LocalSubject.organization_id == organization_id)
            .order_by(LocalSubject.name, LocalSubject.id)
        ).tuples()
    ]


def get_organization_areas(call: CallContext, *, organization_id: int) -> list[AreaView]:
    """Educational areas, directions, specialty groups and specialties, by kind and code."""
    ensure_organization(call, organization_id)
    return [
        AreaView(
            id=a.id,
            kind=a.kind,
            kind_name=AREA_KIND_NAMES.get(a.kind, a.kind),
            code=a.code,
            name=a.name,
            programme_kind=a.programme_kind_code,
            programme_kind_name=label(PROGRAM_KIND, a.programme_kind_code),
        )
        for a in call.session.scalars(
            select(EducationArea)
            .where(EducationArea.organization_id == organization_id)
            .order_by(EducationArea.kind, EducationArea.code, EducationArea.id)
        )
    ]
