"""Reports on general education organizations (ОО): registry, structure, migration, attendance."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from db import classifiers
from db.models import Address, ClassGroup, Municipality, Organization
from reports.definition import ChartSpec, Column, ReportDefinition, Row
from reports.migration import MOVEMENT_COLUMNS, movement_query
from reports.params import DATE_FROM, DATE_TO, ON_DATE, ORG_TYPE, TERRITORY, ParamValue, date_param
from reports.query import NOT_SPECIFIED, SCHOOL_TYPES, name_or_code, organization_filter
from reports.snapshot import Snapshot, count_students, enrolled, is_boy, is_girl, organizations_of

SCHOOL_PARAMS = (ON_DATE, *TERRITORY, ORG_TYPE)


def registry(session: Session, params: Mapping[str, ParamValue], scope_unit_id: int | None) -> list[Row]:
    enrolments = enrolled(session, date_param(params, "on_date"), params, scope_unit_id, SCHOOL_TYPES)
    students = count_students(enrolments, (Snapshot.organization_id,)).subquery("students")
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
            func.coalesce(students.c.students, 0),
        )
        .select_from(Organization)
        .outerjoin(Municipality, Municipality.id == Organization.municipality_id)
        .outerjoin(Address, Address.id == Organization.legal_address_id)
        .outerjoin(students, students.c.key_0 == Organization.id)
        .where(*organization_filter(params, scope_unit_id, SCHOOL_TYPES))
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
    rows = enrolled(session, date_param(params, "on_date"), params, scope_unit_id, SCHOOL_TYPES, class_group="outer")
    keys = (ClassGroup.grade, Snapshot.education_form_code)
    found = session.execute(count_students(rows, keys, (is_girl(),), classes=True))
    ordered = sorted(found, key=lambda row: (row[0] is None, row[0] or 0, row[1] or ""))
    return [
        (
            str(grade) if grade is not None else "—",
            level_of_grade(grade),
            name_or_code(classifiers.EDUCATION_FORM, form),
            int(classes),
            int(students),
            int(girls),
        )
        for grade, form, students, girls, classes in ordered
    ]


def migration(session: Session, params: Mapping[str, ParamValue], scope_unit_id: int | None) -> list[Row]:
    organizations = organizations_of(params, scope_unit_id, SCHOOL_TYPES)
    dates = date_param(params, "date_from"), date_param(params, "date_to")
    movements = movement_query(session, "municipality_id", organizations, *dates)
    counts = [column for column in movements.c if column.name != "key"]
    query = select(Municipality.name, *counts).select_from(movements).outerjoin(
        Municipality, Municipality.id == movements.c.key
    )
    rows = sorted(session.execute(query), key=lambda row: (row[0] is None, row[0] or ""))
    return [(name or NOT_SPECIFIED, *(int(value) for value in counts)) for name, *counts in rows]


def students_by_organization(
    session: Session, params: Mapping[str, ParamValue], scope_unit_id: int | None
) -> list[Row]:
    enrolments = enrolled(session, date_param(params, "on_date"), params, scope_unit_id, SCHOOL_TYPES)
    students = count_students(enrolments, (Snapshot.organization_id,), (is_boy(), is_girl())).subquery("students")
    query = (
        select(
            Organization.id,
            Organization.short_name,
            Municipality.name,
            students.c.students,
            students.c.count_0,
            students.c.count_1,
        )
        .select_from(students)
        .join(Organization, Organization.id == students.c.key_0)
        .outerjoin(Municipality, Municipality.id == Organization.municipality_id)
    )
    rows = sorted(session.execute(query), key=lambda row: (row[2] or "", row[1], row[0]))
    return [(name, municipality or "", *(int(value) for value in counts)) for _, name, municipality, *counts in rows]


def students_by_municipality(
    session: Session, params: Mapping[str, ParamValue], scope_unit_id: int | None
) -> list[Row]:
    organizations = organizations_of(params, scope_unit_id, SCHOOL_TYPES)
    rows = enrolled(session, date_param(params, "on_date"), params, scope_unit_id, organizations=organizations)
    found = session.execute(count_students(rows, (organizations.c.municipality_id,), (is_boy(), is_girl())))
    students = {municipality_id: tuple(int(value) for value in counts) for municipality_id, *counts in found}
    parent = aliased(Municipality)
    query = (
        select(Organization.municipality_id, Municipality.name, parent.name, func.count(Organization.id))
        .select_from(Organization)
        .outerjoin(Municipality, Municipality.id == Organization.municipality_id)
        .outerjoin(parent, parent.id == Municipality.parent_id)
        .where(*organization_filter(params, scope_unit_id, SCHOOL_TYPES))
        .group_by(Organization.municipality_id, Municipality.name, parent.name)
    )
    result: list[Row] = []
    for municipality_id, name, parent_name, organizations in session.execute(query):
        municipality, district = (parent_name, name) if parent_name else (name or NOT_SPECIFIED, "")
        result.append((municipality, district, int(organizations), *students.get(municipality_id, (0, 0, 0))))
    return sorted(result, key=lambda row: (str(row[0]), str(row[1])))


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
