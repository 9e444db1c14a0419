"""An organization's portfolio and what opens from it: classes (groups), subjects, areas.

The portfolio's summary counts the students currently studying (``student.status_code`` 1) by
level and form of education, the classes of the latest school year, and says how fresh the
data is: the date and provider of the organization's last load in the load journal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, Select, bindparam, func, select

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
    Address,
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
from db.prepared import PreparedQuery
from kontingent_ws.call import CallContext
from kontingent_ws.errors import NotFound
from kontingent_ws.security.permissions import VIEW_REGISTRIES, require
from kontingent_ws.security.scope import caller_of
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


# A card's statements are built once: Core selects of plain columns with bound parameters (building
# and compiling ORM selects with eager loads per call cost more CPU than PostgreSQL spends answering).
_unit, _organization, _municipality = OrgUnit.__table__, Organization.__table__, Municipality.__table__
_parent, _legal, _actual = OrgUnit.__table__.alias("parent_unit"), Address.__table__.alias("legal"), \
    Address.__table__.alias("actual")  # fmt: skip
_branch, _branch_address, _student, _class = Branch.__table__, Address.__table__.alias("branch_address"), \
    Student.__table__, ClassGroup.__table__  # fmt: skip
_journal, _system, _user = LoadJournal.__table__, InfoSystem.__table__, AppUser.__table__


def unit_card(*extra: ColumnElement[Any], joined: Any = None) -> Select[Any]:
    """One row of an org unit's card by ``:unit_id``: its names, requisites and contacts with the
    municipality, the parent's short name and both addresses, plus ``extra`` columns of ``joined``
    (a table inner-joined on the unit's id, which also decides the kind of unit)."""
    source = _unit if joined is None else _unit.join(joined, joined.c.id == _unit.c.id)
    return (
        select(
            _unit.c.id, _unit.c.full_name, _unit.c.short_name, _unit.c.head_name, _unit.c.parent_id,
            _unit.c.municipality_id, _unit.c.status_code, _unit.c.inn, _unit.c.kpp, _unit.c.ogrn, _unit.c.okpo,
            _unit.c.oktmo, _unit.c.okopf_code, _unit.c.okfs_code, _unit.c.phone, _unit.c.fax, _unit.c.email,
            _unit.c.website, _municipality.c.name.label("municipality_name"),
            _parent.c.short_name.label("parent_name"), _legal.c.full_text.label("legal_address"),
            _actual.c.full_text.label("actual_address"), *extra,
        )
        .select_from(
            source.outerjoin(_municipality, _municipality.c.id == _unit.c.municipality_id)
            .outerjoin(_parent, _parent.c.id == _unit.c.parent_id)
            .outerjoin(_legal, _legal.c.id == _unit.c.legal_address_id)
            .outerjoin(_actual, _actual.c.id == _unit.c.actual_address_id)
        )
        .where(_unit.c.id == bindparam("unit_id"))
    )  # fmt: skip


BRANCHES = PreparedQuery(
    select(
        _branch.c.id, _branch.c.full_name, _branch.c.short_name, _branch.c.kpp, _branch.c.phone, _branch.c.email,
        _branch.c.status_code, _branch_address.c.full_text,
    )
    .select_from(_branch.outerjoin(_branch_address, _branch_address.c.id == _branch.c.address_id))
    .where(_branch.c.organization_id == bindparam("unit_id"))
    .order_by(_branch.c.id),
    name="org_branches",
)  # fmt: skip
STUDENT_GROUPS = PreparedQuery(
    select(_student.c.education_level_code, _student.c.education_form_code, func.count())
    .where(_student.c.current_organization_id == bindparam("unit_id"), _student.c.status_code == STUDYING)
    .group_by(_student.c.education_level_code, _student.c.education_form_code)
    .order_by(_student.c.education_level_code, _student.c.education_form_code),
    name="org_student_groups",
)  # fmt: skip
_latest_class = ClassGroup.__table__.alias("latest_class")
_latest_year = (
    select(func.max(_latest_class.c.school_year))
    .where(_latest_class.c.organization_id == _unit.c.id)
    .correlate(_unit)
    .scalar_subquery()
)
ORGANIZATION_CARD = PreparedQuery(unit_card(
    _organization.c.type_code, _organization.c.activity_kind_code, _organization.c.founded_on,
    _organization.c.license_number, _organization.c.license_date, _organization.c.accreditation_number,
    _latest_year.label("school_year"),
    select(func.count(_class.c.id))
    .where(_class.c.organization_id == _unit.c.id, _class.c.school_year == _latest_year)
    .scalar_subquery()
    .label("class_count"),
    joined=_organization,
), name="org_card")  # fmt: skip
"""An organization's card with the latest school year having classes and their count, one statement."""
LAST_LOAD = PreparedQuery(
    select(_journal.c.started_at, _journal.c.finished_at, _journal.c.status, _system.c.mnemonic, _system.c.name,
           _user.c.login, _user.c.full_name)
    .select_from(
        _journal.outerjoin(_system, _system.c.id == _journal.c.system_id).outerjoin(
            _user, _user.c.id == _journal.c.user_id
        )
    )
    .where(_journal.c.organization_id == bindparam("unit_id"))
    .order_by(_journal.c.started_at.desc(), _journal.c.id.desc())
    .limit(1),
    name="org_last_load",
)


def get_organization_portfolio(call: CallContext, *, organization_id: int) -> OrganizationPortfolio:
    caller = caller_of(call)
    require(caller, VIEW_REGISTRIES)
    if not caller.sees_region:
        ensure_organization(call, organization_id)
    parameters = {"unit_id": organization_id}
    # Core selects run on the session's connection, past the ORM's execution.
    connection = call.session.connection()
    org = ORGANIZATION_CARD.first(connection, parameters)
    if org is None:
        raise NotFound(f"Организация с идентификатором {organization_id} не найдена", field="OrganizationId")
    groups = [
        StudentGroupCount(
            education_level=level,
            education_level_name=label(EDUCATION_LEVEL, level),
            education_form=form,
            education_form_name=label(EDUCATION_FORM, form),
            count=count,
        )
        for level, form, count in STUDENT_GROUPS.rows(connection, parameters)
    ]
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
        parent_name=org.parent_name,
        municipality_id=org.municipality_id,
        municipality_name=org.municipality_name,
        requisites=requisites_of(org),
        contacts=contacts_of(org),
        branches=[
            BranchView(
                id=branch_id,
                full_name=full_name,
                short_name=short_name,
                kpp=kpp,
                phone=phone,
                email=email,
                status=status,
                status_name=label(ORG_STATUS, status),
                address=address,
            )
            for branch_id, full_name, short_name, kpp, phone, email, status, address in BRANCHES.rows(
                connection, parameters
            )
        ],
        students=groups,
        student_total=sum(group.count for group in groups),
        class_count=int(org.class_count or 0),
        school_year=org.school_year,
        last_load=_last_load(connection, parameters),
    )


def requisites_of(card: Row[Any]) -> Requisites:
    """The requisites of a :func:`unit_card` row."""
    return Requisites(
        inn=card.inn,
        kpp=card.kpp,
        ogrn=card.ogrn,
        okpo=card.okpo,
        oktmo=card.oktmo,
        okopf=card.okopf_code,
        okopf_name=label(OKOPF, card.okopf_code),
        okfs=card.okfs_code,
        okfs_name=label(OKFS, card.okfs_code),
    )


def contacts_of(card: Row[Any]) -> Contacts:
    """The contacts of a :func:`unit_card` row."""
    return Contacts(
        phone=card.phone,
        fax=card.fax,
        email=card.email,
        website=card.website,
        legal_address=card.legal_address,
        actual_address=card.actual_address,
    )


def _last_load(connection: Connection, parameters: dict[str, Any]) -> LastLoad | None:
    found = LAST_LOAD.first(connection, parameters)
    if found is None:
        return None
    started_at, finished_at, status, mnemonic, system_name, login, user_name = found
    return LastLoad(
        at=as_utc(finished_at or started_at),
        provider=mnemonic or login or "—",
        provider_name=system_name or user_name,
        status=status,
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
