"""Reports on general education organizations (ОО): registry, structure, migration, attendance."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session, aliased

from db import classifiers
from db.models import Address, ClassGroup, Enrolment, Municipality, Organization, Person
from reports.definition import ChartSpec, Column, ReportDefinition, Row
from reports.migration import MOVEMENT_COLUMNS, movement_query
from reports.params import DATE_FROM, DATE_TO, ON_DATE, ORG_TYPE, TERRITORY, ParamValue, date_param
from reports.query import (
    NOT_SPECIFIED,
    SCHOOL_TYPES,
    count_students,
    count_students_of_sex,
    enrolled_on,
    name_or_code,
    organization_filter,
)

SCHOOL_PARAMS = (ON_DATE, *TERRITORY, ORG_TYPE)


def registry(session: Session, params: Mapping[str, ParamValue], scope_unit_id: int | None) -> list[Row]:
    on_date = date_param(params, "on_date")
    query = (
        select(
            Organization.id,
            Organization.short_name,
            Organization.type_code,
            Municipality.name,
            Organization.inn,
            Organization.ogrn,
            Organization.status_code,
            Address.full_text,
            count_students(),
        )
        .select_from(Organization)
        .outerjoin(Municipality, Municipality.id == Organization.municipality_id)
        .outerjoin(Address, Address.id == Organization.legal_address_id)
        .outerjoin(Enrolment, (Enrolment.organization_id == Organization.id) & enrolled_on(on_date))
        .where(*organization_filter(params, scope_unit_id, SCHOOL_TYPES))
        .group_by(
            Organization.id,
            Organization.short_name,
            Organization.type_code,
            Municipality.name,
            Organization.inn,
            Organization.ogrn,
            Organization.status_code,
            Address.full_text,
        )
    )
    rows = sorted(session.execute(query), key=lambda row: (row[3] or "", row[1], row[0]))
    return [
        (
            name,
            name_or_code(classifiers.ORG_TYPE, type_code),
            municipality or "",
            inn or "",
            ogrn or "",
            name_or_code(classifiers.ORG_STATUS, status),
            address or "",
            int(students),
        )
        for _, name, type_code, municipality, inn, ogrn, status, address, students in rows
    ]


def level_of_grade(grade: int | None) -> str:
    """The level of general education a grade belongs to (НОО 1–4, ООО 5–9, СОО 10–12)."""
    for item in classifiers.items_of(classifiers.EDUCATION_LEVEL):
        low, high = item.extra.get("grade_min"), item.extra.get("grade_max")
        if grade is not None and low is not None and high is not None and low <= grade <= high:
            return item.name
    return NOT_SPECIFIED


def structure(session: Session, params: Mapping[str, ParamValue], scope_unit_id: int | None) -> list[Row]:
    on_date = date_param(params, "on_date")
    query = (
        select(
            ClassGroup.grade,
            Enrolment.education_form_code,
            func.count(distinct(ClassGroup.id)),
            count_students(),
            count_students_of_sex("2"),
        )
        .select_from(Enrolment)
        .join(Organization, Organization.id == Enrolment.organization_id)
        .join(Person, Person.id == Enrolment.student_id)
        .outerjoin(ClassGroup, ClassGroup.id == Enrolment.class_group_id)
        .where(enrolled_on(on_date), *organization_filter(params, scope_unit_id, SCHOOL_TYPES))
        .group_by(ClassGroup.grade, Enrolment.education_form_code)
    )
    rows = sorted(session.execute(query), key=lambda row: (row[0] is None, row[0] or 0, row[1] or ""))
    return [
        (
            str(grade) if grade is not None else "—",
            level_of_grade(grade),
            name_or_code(classifiers.EDUCATION_FORM, form),
            int(classes),
            int(students),
            int(girls),
        )
        for grade, form, classes, students, girls in rows
    ]


def migration(session: Session, params: Mapping[str, ParamValue], scope_unit_id: int | None) -> list[Row]:
    query = movement_query(
        (Municipality.id, Municipality.name),
        organization_filter(params, scope_unit_id, SCHOOL_TYPES),
        date_param(params, "date_from"),
        date_param(params, "date_to"),
    ).outerjoin(Municipality, Municipality.id == Organization.municipality_id)
    rows = sorted(session.execute(query), key=lambda row: (row[1] is None, row[1] or ""))
    return [(name or NOT_SPECIFIED, *(int(value) for value in counts)) for _, name, *counts in rows]


def students_by_organization(
    session: Session, params: Mapping[str, ParamValue], scope_unit_id: int | None
) -> list[Row]:
    on_date = date_param(params, "on_date")
    query = (
        select(
            Organization.id,
            Organization.short_name,
            Municipality.name,
            count_students(),
            count_students_of_sex("1"),
            count_students_of_sex("2"),
        )
        .select_from(Enrolment)
        .join(Organization, Organization.id == Enrolment.organization_id)
        .join(Person, Person.id == Enrolment.student_id)
        .outerjoin(Municipality, Municipality.id == Organization.municipality_id)
        .where(enrolled_on(on_date), *organization_filter(params, scope_unit_id, SCHOOL_TYPES))
        .group_by(Organization.id, Organization.short_name, Municipality.name)
    )
    rows = sorted(session.execute(query), key=lambda row: (row[2] or "", row[1], row[0]))
    return [(name, municipality or "", *(int(value) for value in counts)) for _, name, municipality, *counts in rows]


def students_by_municipality(
    session: Session, params: Mapping[str, ParamValue], scope_unit_id: int | None
) -> list[Row]:
    on_date = date_param(params, "on_date")
    parent = aliased(Municipality)
    query = (
        select(
            Municipality.id,
            Municipality.name,
            parent.name,
            func.count(distinct(Organization.id)),
            count_students(),
            count_students_of_sex("1"),
            count_students_of_sex("2"),
        )
        .select_from(Organization)
        .outerjoin(Municipality, Municipality.id == Organization.municipality_id)
        .outerjoin(parent, parent.id == Municipality.parent_id)
        .outerjoin(Enrolment, (Enrolment.organization_id == Organization.id) & enrolled_on(on_date))
        .outerjoin(Person, Person.id == Enrolment.student_id)
        .where(*organization_filter(params, scope_unit_id, SCHOOL_TYPES))
        .group_by(Municipality.id, Municipality.name, parent.name)
    )
    rows: list[Row] = []
    for _, name, parent_name, *counts in session.execute(query):
        municipality, district = (parent_name, name) if parent_name else (name or NOT_SPECIFIED, "")
        rows.append((municipality, district, *(int(value) for value in counts)))
    return sorted(rows, key=lambda row: (str(row[0]), str(row[1])))


STUDENT_COLUMNS = (
    Column(key="students", heading="Обучающихся", total=True),
    Column(key="boys", heading="Мальчиков (юношей)", total=True),
    Column(key="girls", heading="Девочек (девушек)", total=True),
)

REGISTRY = ReportDefinition(
    code="OO_REGISTRY",
    title="Реестр общеобразовательных организаций",
    family="schools",
    params=SCHOOL_PARAMS,
    columns=(
        Column(key="organization", heading="Организация", type="str"),
        Column(key="org_type", heading="Тип организации", type="str"),
        Column(key="municipality", heading="Муниципальное образование", type="str"),
        Column(key="inn", heading="ИНН", type="str"),
        Column(key="ogrn", heading="ОГРН", type="str"),
        Column(key="status", heading="Статус", type="str"),
        Column(key="address", heading="Юридический адрес", type="str"),
        Column(key="students", heading="Обучающихся на дату", total=True),
    ),
    query=registry,
)

STRUCTURE = ReportDefinition(
    code="OO_STRUCTURE",
    runs_as_job=True,
    title="Структура общеобразовательных организаций: классы и обучающиеся",
    family="schools",
    params=SCHOOL_PARAMS,
    columns=(
        Column(key="grade", heading="Класс (параллель)", type="str"),
        Column(key="level", heading="Уровень образования", type="str"),
        Column(key="form", heading="Форма обучения", type="str"),
        Column(key="classes", heading="Классов", total=True),
        Column(key="students", heading="Обучающихся", total=True),
        Column(key="girls", heading="из них девочек", total=True),
    ),
    query=structure,
)

MIGRATION = ReportDefinition(
    code="OO_MIGRATION",
    runs_as_job=True,
    title="Движение обучающихся общеобразовательных организаций",
    family="schools",
    params=(DATE_FROM, DATE_TO, *TERRITORY, ORG_TYPE),
    columns=(Column(key="municipality", heading="Муниципальное образование", type="str"), *MOVEMENT_COLUMNS),
    query=migration,
    chart=ChartSpec(kind="bar", x="municipality", y=("arrived", "departed")),
)

STUDENTS = ReportDefinition(
    code="OO_STUDENTS",
    runs_as_job=True,
    title="Численность обучающихся, посещающих общеобразовательные организации",
    family="schools",
    params=SCHOOL_PARAMS,
    columns=(
        Column(key="organization", heading="Организация", type="str"),
        Column(key="municipality", heading="Муниципальное образование", type="str"),
        *STUDENT_COLUMNS,
    ),
    query=students_by_organization,
)

STUDENTS_BY_MUNICIPALITY = ReportDefinition(
    code="OO_STUDENTS_BY_MUNICIPALITY",
    runs_as_job=True,
    title="Численность обучающихся ОО по муниципальным образованиям и городским районам",
    family="schools",
    params=SCHOOL_PARAMS,
    columns=(
        Column(key="municipality", heading="Муниципальное образование", type="str"),
        Column(key="district", heading="Городской район", type="str"),
        Column(key="organizations", heading="Организаций", total=True),
        *STUDENT_COLUMNS,
    ),
    query=students_by_municipality,
)

REPORTS = (REGISTRY, STRUCTURE, MIGRATION, STUDENTS, STUDENTS_BY_MUNICIPALITY)
