"""Structure of the contingent for any organization type: by age, sex, form of education, specialty."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from db import classifiers
from reports.definition import ChartSpec, Column, ReportDefinition, Row, percent
from reports.params import ON_DATE, ORG_TYPE, TERRITORY, ParamValue, date_param
from reports.query import NOT_SPECIFIED, Groupable, age_label, name_or_code
from reports.snapshot import Snapshot, count_students, enrolled, is_boy, is_girl, years_on

STRUCTURE_PARAMS = (ON_DATE, *TERRITORY, ORG_TYPE)


def _by(session: Session, params: Mapping[str, ParamValue], scope: int | None, *group_by: Groupable) -> Any:
    """(group values…, students, boys, girls) of the students enrolled on the date."""
    rows = enrolled(session, date_param(params, "on_date"), params, scope)
    return session.execute(count_students(rows, group_by, (is_boy(), is_girl())))


def _ints(values: Any) -> tuple[int, ...]:
    return tuple(int(value) for value in values)


def by_age(session: Session, params: Mapping[str, ParamValue], scope_unit_id: int | None) -> list[Row]:
    age = years_on(date_param(params, "on_date"))
    found = sorted((int(years), *_ints(counts)) for years, *counts in _by(session, params, scope_unit_id, age))
    return [(age_label(years), years, *counts) for years, *counts in found]


def by_level_and_sex(session: Session, params: Mapping[str, ParamValue], scope_unit_id: int | None) -> list[Row]:
    order = [item.code for item in classifiers.items_of(classifiers.EDUCATION_LEVEL)]
    found = sorted(
        _by(session, params, scope_unit_id, Snapshot.education_level_code),
        key=lambda row: (row[0] not in order, order.index(row[0]) if row[0] in order else 0, row[0] or ""),
    )
    rows: list[Row] = []
    for code, *counts in found:
        students, boys, girls = _ints(counts)
        rows.append((name_or_code(classifiers.EDUCATION_LEVEL, code), students, boys, girls, percent(girls, students)))
    return rows


def by_form(session: Session, params: Mapping[str, ParamValue], scope_unit_id: int | None) -> list[Row]:
    order = [item.code for item in classifiers.items_of(classifiers.EDUCATION_FORM)]
    found = {
        code: _ints(counts) for code, *counts in _by(session, params, scope_unit_id, Snapshot.education_form_code)
    }
    codes = [code for code in order if code in found] + sorted(code for code in found if code not in order)
    return [(name_or_code(classifiers.EDUCATION_FORM, code), *found[code]) for code in codes]


def by_specialty(session: Session, params: Mapping[str, ParamValue], scope_unit_id: int | None) -> list[Row]:
    found = _by(session, params, scope_unit_id, Snapshot.specialty_code)
    rows = sorted((code, *_ints(counts)) for code, *counts in found if code)
    return [(code, _specialty_name(code), *counts) for code, *counts in rows]


def _specialty_name(code: str) -> str:
    item = classifiers.item_of(classifiers.SPO_SPECIALTY, code)
    return item.name if item else NOT_SPECIFIED


SEX_COLUMNS = (
    Column(key="students", heading="Обучающихся", total=True),
    Column(key="boys", heading="Мужского пола", total=True),
    Column(key="girls", heading="Женского пола", total=True),
)

BY_AGE = ReportDefinition(
    code="STRUCT_BY_AGE",
    runs_as_job=True,
    title="Структура контингента по возрасту",
    family="structure",
    params=STRUCTURE_PARAMS,
    columns=(
        Column(key="age", heading="Возраст", type="str"),
        Column(key="years", heading="Полных лет на дату среза"),
        *SEX_COLUMNS,
    ),
    query=by_age,
    chart=ChartSpec(kind="stacked-bar", x="age", y=("boys", "girls")),
)

BY_SEX = ReportDefinition(
    code="STRUCT_BY_SEX",
    runs_as_job=True,
    title="Структура контингента по полу и уровням образования",
    family="structure",
    params=STRUCTURE_PARAMS,
    columns=(
        Column(key="level", heading="Уровень образования", type="str"),
        *SEX_COLUMNS,
        Column(key="girls_share", heading="Доля женского пола, %", type="percent", ratio=("girls", "students")),
    ),
    query=by_level_and_sex,
    chart=ChartSpec(kind="stacked-bar", x="level", y=("boys", "girls")),
)

BY_FORM = ReportDefinition(
    code="STRUCT_BY_FORM",
    runs_as_job=True,
    title="Структура контингента по формам обучения",
    family="structure",
    params=STRUCTURE_PARAMS,
    columns=(Column(key="form", heading="Форма обучения", type="str"), *SEX_COLUMNS),
    query=by_form,
    chart=ChartSpec(kind="bar", x="form", y=("students",)),
)

BY_SPECIALTY = ReportDefinition(
    code="STRUCT_BY_SPECIALTY",
    runs_as_job=True,
    title="Структура контингента по специальностям (СПО)",
    family="structure",
    params=STRUCTURE_PARAMS,
    columns=(
        Column(key="specialty_code", heading="Код специальности", type="str"),
        Column(key="specialty", heading="Специальность", type="str"),
        *SEX_COLUMNS,
    ),
    query=by_specialty,
    chart=ChartSpec(kind="bar", x="specialty_code", y=("students",)),
)

REPORTS = (BY_AGE, BY_SEX, BY_FORM, BY_SPECIALTY)
