"""Tables shaped like the federal statistical forms ОО-1 (schools) and 85-К (kindergartens)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from db import classifiers
from db.models import ClassGroup
from reports.definition import ChartSpec, Column, ReportDefinition, Row
from reports.params import ORG_TYPE, REPORT_YEAR, TERRITORY, ParamValue, int_param
from reports.query import PRESCHOOL_TYPE, SCHOOL_TYPES, age_label, capped, name_or_code
from reports.snapshot import ClassJoin, Snapshot, count_students, enrolled, is_girl, years_on

GRADES = range(1, 12)
OLDEST_AGE = 7
FOREIGN = ("3", "4")
"""Citizenship codes of foreign citizens and stateless persons."""


def oo1_snapshot(year: int) -> dt.date:
    """ОО-1 counts classes and pupils on 20 September of the school year's first year."""
    return dt.date(year, 9, 20)


def k85_snapshot(year: int) -> dt.date:
    """85-К counts groups and pupils at the end of the reporting year."""
    return dt.date(year, 12, 31)


def k85_age_date(year: int) -> dt.date:
    """85-К counts ages in full years on 1 January of the following year."""
    return dt.date(year + 1, 1, 1)


def oo1(session: Session, params: Mapping[str, ParamValue], scope_unit_id: int | None) -> list[Row]:
    on_date = oo1_snapshot(int_param(params, "year"))
    grades = (ClassGroup.grade.between(GRADES.start, GRADES.stop - 1),)
    rows = enrolled(session, on_date, params, scope_unit_id, SCHOOL_TYPES, class_group="inner", class_conditions=grades)
    query = count_students(rows, (ClassGroup.grade,), (is_girl(), ClassGroup.is_adapted.is_(True)), classes=True)
    found = {
        int(grade): (int(classes), int(pupils), int(girls), int(adapted))
        for grade, pupils, girls, adapted, classes in session.execute(query)
    }
    return [(f"{grade} класс", *found.get(grade, (0, 0, 0, 0))) for grade in GRADES]


def _pupils(
    session: Session, year: int, params: Mapping[str, ParamValue], scope_unit_id: int | None, class_group: ClassJoin
) -> Any:
    """The snapshot rows of the kindergartens' pupils at the end of the reporting year."""
    preschools = {**params, "org_type": PRESCHOOL_TYPE}
    return enrolled(session, k85_snapshot(year), preschools, scope_unit_id, class_group=class_group)


def k85_groups(session: Session, params: Mapping[str, ParamValue], scope_unit_id: int | None) -> list[Row]:
    bands = [item.code for item in classifiers.items_of(classifiers.GROUP_AGE_BAND)]
    rows = _pupils(session, int_param(params, "year"), params, scope_unit_id, "inner")
    keys = (ClassGroup.orientation_code, ClassGroup.age_band_code)
    table: dict[str | None, list[int]] = {}
    for orientation, band, pupils, groups in session.execute(count_students(rows, keys, classes=True)):
        cells = table.setdefault(orientation, [0] * (len(bands) + 2))
        found = int(groups)
        if band in bands:
            cells[bands.index(band)] += found
        cells[-2] += found
        cells[-1] += int(pupils)
    order = [item.code for item in classifiers.items_of(classifiers.GROUP_ORIENTATION)]
    codes = [code for code in order if code in table] + sorted(
        (code for code in table if code not in order), key=lambda code: code or ""
    )
    return [(name_or_code(classifiers.GROUP_ORIENTATION, code), *table[code]) for code in codes]


def k85_ages(session: Session, params: Mapping[str, ParamValue], scope_unit_id: int | None) -> list[Row]:
    year = int_param(params, "year")
    age = capped(years_on(k85_age_date(year)), OLDEST_AGE)
    query = count_students(
        _pupils(session, year, params, scope_unit_id, None), (age,), (is_girl(), Snapshot.citizenship_code.in_(FOREIGN))
    )
    found = {int(years): tuple(int(value) for value in counts) for years, *counts in session.execute(query)}
    return [(age_label(years, OLDEST_AGE), *found.get(years, (0, 0, 0))) for years in range(OLDEST_AGE + 1)]


OO1 = ReportDefinition(
    code="FORM_OO1_CLASSES",
    runs_as_job=True,
    title="Классы и обучающиеся по параллелям на 20 сентября (по форме ОО-1)",
    family="forms",
    params=(REPORT_YEAR, *TERRITORY, ORG_TYPE),
    columns=(
        Column(key="grade", heading="Класс", type="str"),
        Column(key="classes", heading="Классов", total=True),
        Column(key="pupils", heading="Обучающихся", total=True),
        Column(key="girls", heading="из них девочек", total=True),
        Column(key="adapted", heading="в классах для обучающихся с ОВЗ", total=True),
    ),
    query=oo1,
    chart=ChartSpec(kind="bar", x="grade", y=("pupils",)),
    description="Отчётный год – год начала учебного года; срез на 20 сентября этого года.",
)

K85_GROUPS = ReportDefinition(
    code="FORM_85K_GROUPS",
    title="Группы ДОО по направленности и возрасту (по форме 85-К)",
    family="forms",
    params=(REPORT_YEAR, *TERRITORY),
    columns=(
        Column(key="orientation", heading="Направленность групп", type="str"),
        *(
            Column(key=f"band_{item.code}", heading=item.name, total=True)
            for item in classifiers.items_of(classifiers.GROUP_AGE_BAND)
        ),
        Column(key="groups", heading="Всего групп", total=True),
        Column(key="pupils", heading="Воспитанников", total=True),
    ),
    query=k85_groups,
    chart=ChartSpec(
        kind="stacked-bar",
        x="orientation",
        y=tuple(f"band_{item.code}" for item in classifiers.items_of(classifiers.GROUP_AGE_BAND)),
    ),
    description="Срез на 31 декабря отчётного года; учитываются группы, в которых есть воспитанники.",
)

K85_AGES = ReportDefinition(
    code="FORM_85K_AGES",
    runs_as_job=True,
    title="Воспитанники ДОО по возрасту на 1 января (по форме 85-К)",
    family="forms",
    params=(REPORT_YEAR, *TERRITORY),
    columns=(
        Column(key="age", heading="Полных лет на 1 января следующего года", type="str"),
        Column(key="pupils", heading="Воспитанников", total=True),
        Column(key="girls", heading="из них девочек", total=True),
        Column(key="foreign", heading="иностранных граждан и лиц без гражданства", total=True),
    ),
    query=k85_ages,
    chart=ChartSpec(kind="bar", x="age", y=("pupils",)),
    description="Воспитанники на 31 декабря отчётного года, возраст – полных лет на 1 января следующего года.",
)

REPORTS = (OO1, K85_GROUPS, K85_AGES)
