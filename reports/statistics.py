"""Statistics page: organizations by type, students by organization type with the sex ratio."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import classifiers
from db.models import Organization
from reports.definition import ChartSpec, Column, ReportDefinition, Row, percent
from reports.params import ON_DATE, TERRITORY, ParamValue, date_param
from reports.query import count_if, organization_filter
from reports.snapshot import count_students, enrolled, is_boy, is_girl, organizations_of


def _active_statuses() -> tuple[str, ...]:
    return tuple(item.code for item in classifiers.items_of(classifiers.ORG_STATUS) if item.extra.get("active"))


def organizations_by_type(session: Session, params: Mapping[str, ParamValue], scope_unit_id: int | None) -> list[Row]:
    query = (
        select(
            Organization.type_code,
            count_if(Organization.id.is_not(None)),
            count_if(Organization.status_code.in_(_active_statuses())),
            count_if(Organization.is_city.is_(True)),
            count_if(Organization.is_city.is_(False)),
        )
        .where(*organization_filter(params, scope_unit_id))
        .group_by(Organization.type_code)
    )
    found = {row[0]: tuple(int(value) for value in row[1:]) for row in session.execute(query)}
    return [(item.name, *found.get(item.code, (0, 0, 0, 0))) for item in classifiers.items_of(classifiers.ORG_TYPE)]


def students_by_type(session: Session, params: Mapping[str, ParamValue], scope_unit_id: int | None) -> list[Row]:
    organizations = organizations_of(params, scope_unit_id)
    enrolments = enrolled(session, date_param(params, "on_date"), params, scope_unit_id, organizations=organizations)
    query = count_students(enrolments, (organizations.c.type_code,), (is_boy(), is_girl()))
    found = {row[0]: (int(row[1]), int(row[2]), int(row[3])) for row in session.execute(query)}
    rows: list[Row] = []
    for item in classifiers.items_of(classifiers.ORG_TYPE):
        total, boys, girls = found.get(item.code, (0, 0, 0))
        rows.append((item.name, total, boys, girls, percent(girls, total)))
    return rows


ORG_BY_TYPE = ReportDefinition(
    code="STAT_ORG_BY_TYPE",
    title="Количество образовательных организаций по типам",
    family="statistics",
    params=TERRITORY,
    columns=(
        Column(key="org_type", heading="Тип организации", type="str"),
        Column(key="total", heading="Всего организаций", total=True),
        Column(key="active", heading="Из них действующих", total=True),
        Column(key="city", heading="Городских", total=True),
        Column(key="rural", heading="Сельских", total=True),
    ),
    query=organizations_by_type,
    chart=ChartSpec(kind="bar", x="org_type", y=("total",)),
)

STUDENTS_BY_TYPE = ReportDefinition(
    code="STAT_STUDENTS_BY_TYPE",
    runs_as_job=True,
    title="Количество обучающихся по типам организаций и соотношение по полу",
    family="statistics",
    params=(ON_DATE, *TERRITORY),
    columns=(
        Column(key="org_type", heading="Тип организации", type="str"),
        Column(key="students", heading="Обучающихся", total=True),
        Column(key="boys", heading="Мальчиков (юношей)", total=True),
        Column(key="girls", heading="Девочек (девушек)", total=True),
        Column(key="girls_share", heading="Доля девочек, %", type="percent", ratio=("girls", "students")),
    ),
    query=students_by_type,
    chart=ChartSpec(kind="stacked-bar", x="org_type", y=("boys", "girls")),
    description="Обучающийся, зачисленный в организации разных типов, учитывается в каждом из них.",
)

REPORTS = (ORG_BY_TYPE, STUDENTS_BY_TYPE)
