"""Reports on kindergartens (ДОО): ownership, activity kinds, migration, pupils by age, regime, group type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from db import classifiers
from db.models import ClassGroup, Municipality, Organization
from reports.definition import ChartSpec, Column, ReportDefinition, Row
from reports.migration import MOVEMENT_COLUMNS, movement_query
from reports.params import DATE_FROM, DATE_TO, ON_DATE, TERRITORY, ParamValue, date_param
from reports.query import PRESCHOOL_TYPE, Groupable, age_label, capped, name_or_code, organization_filter
from reports.snapshot import (
    ClassJoin,
    count_students,
    enrolled,
    is_boy,
    is_girl,
    organizations_of,
    years_on,
)

OLDEST_AGE = 7


def _preschools(params: Mapping[str, ParamValue], scope_unit_id: int | None) -> list[ColumnElement[bool]]:
    return organization_filter({**params, "org_type": PRESCHOOL_TYPE}, scope_unit_id)


def ownership(session: Session, params: Mapping[str, ParamValue], scope_unit_id: int | None) -> list[Row]:
    query = (
        select(Organization.okfs_code, Organization.okopf_code, func.count(Organization.id))
        .where(*_preschools(params, scope_unit_id))
        .group_by(Organization.okfs_code, Organization.okopf_code)
        .order_by(Organization.okfs_code, Organization.okopf_code)
    )
    return [
        (okfs or "", name_or_code(classifiers.OKFS, okfs), okopf or "", name_or_code(classifiers.OKOPF, okopf), int(n))
        for okfs, okopf, n in session.execute(query)
    ]


def activity_kinds(session: Session, params: Mapping[str, ParamValue], scope_unit_id: int | None) -> list[Row]:
    preschools = {**params, "org_type": PRESCHOOL_TYPE}
    selected = organizations_of(preschools, scope_unit_id)
    rows = enrolled(session, date_param(params, "on_date"), preschools, scope_unit_id, organizations=selected)
    pupils = {code: int(n) for code, n in session.execute(count_students(rows, (selected.c.activity_kind_code,)))}
    kind = Organization.activity_kind_code
    organizations = select(kind, func.count(Organization.id)).where(*_preschools(params, scope_unit_id)).group_by(kind)
    found = {code: (int(orgs), pupils.get(code, 0)) for code, orgs in session.execute(organizations)}
    return _in_classifier_order(classifiers.PRESCHOOL_ACTIVITY, found)


def _in_classifier_order(classifier: str, found: Mapping[str | None, tuple[int, ...]]) -> list[Row]:
    """One row per classifier item that has data, in the classifier's order; unknown codes last."""
    order = [item.code for item in classifiers.items_of(classifier)]
    codes = [code for code in order if code in found] + sorted(
        (code for code in found if code not in order), key=lambda code: (code is None, code or "")
    )
    return [(name_or_code(classifier, code), *found[code]) for code in codes]


def migration(session: Session, params: Mapping[str, ParamValue], scope_unit_id: int | None) -> list[Row]:
    organizations = organizations_of({**params, "org_type": PRESCHOOL_TYPE}, scope_unit_id)
    dates = date_param(params, "date_from"), date_param(params, "date_to")
    movements = movement_query(session, "id", organizations, *dates)
    counts = [column for column in movements.c if column.name != "key"]
    query = (
        select(Organization.id, Organization.short_name, Municipality.name, *counts)
        .select_from(movements)
        .join(Organization, Organization.id == movements.c.key)
        .outerjoin(Municipality, Municipality.id == Organization.municipality_id)
    )
    rows = sorted(session.execute(query), key=lambda row: (row[2] or "", row[1], row[0]))
    return [(name, municipality or "", *(int(value) for value in counts)) for _, name, municipality, *counts in rows]


def _pupils(
    session: Session, params: Mapping[str, ParamValue], scope_unit_id: int | None, class_group: ClassJoin = None
) -> Any:
    """The snapshot rows of the kindergartens' pupils on the date (see ``reports.snapshot.enrolled``)."""
    on_date = date_param(params, "on_date")
    return enrolled(session, on_date, {**params, "org_type": PRESCHOOL_TYPE}, scope_unit_id, class_group=class_group)


def pupils_by_age(session: Session, params: Mapping[str, ParamValue], scope_unit_id: int | None) -> list[Row]:
    age = capped(years_on(date_param(params, "on_date")), OLDEST_AGE)
    query = count_students(_pupils(session, params, scope_unit_id), (age,), (is_boy(), is_girl()))
    found = {int(row[0]): tuple(int(value) for value in row[1:]) for row in session.execute(query)}
    return [(age_label(years, OLDEST_AGE), *found.get(years, (0, 0, 0))) for years in range(OLDEST_AGE + 1)]


def _pupils_by_group_attribute(
    session: Session,
    attribute: Groupable,
    classifier: str,
    params: Mapping[str, ParamValue],
    scope_unit_id: int | None,
) -> list[Row]:
    rows = _pupils(session, params, scope_unit_id, class_group="outer")
    query = count_students(rows, (attribute,), classes=True)
    found = {code: (int(groups), int(pupils)) for code, pupils, groups in session.execute(query)}
    return _in_classifier_order(classifier, found)


def pupils_by_regime(session: Session, params: Mapping[str, ParamValue], scope_unit_id: int | None) -> list[Row]:
    return _pupils_by_group_attribute(session, ClassGroup.regime_code, classifiers.GROUP_REGIME, params, scope_unit_id)


def pupils_by_orientation(session: Session, params: Mapping[str, ParamValue], scope_unit_id: int | None) -> list[Row]:
    return _pupils_by_group_attribute(
        session, ClassGroup.orientation_code, classifiers.GROUP_ORIENTATION, params, scope_unit_id
    )


GROUP_COLUMNS = (
    Column(key="groups", heading="Групп", total=True),
    Column(key="pupils", heading="Воспитанников", total=True),
)

OWNERSHIP = ReportDefinition(
    code="DOO_OWNERSHIP",
    title="Формы собственности и организационно-правовые формы ДОО",
    family="preschool",
    params=TERRITORY,
    columns=(
        Column(key="okfs_code", heading="Код ОКФС", type="str"),
        Column(key="okfs", heading="Форма собственности (ОКФС)", type="str"),
        Column(key="okopf_code", heading="Код ОКОПФ", type="str"),
        Column(key="okopf", heading="Организационно-правовая форма (ОКОПФ)", type="str"),
        Column(key="organizations", heading="Количество ДОО", total=True),
    ),
    query=ownership,
)

ACTIVITY = ReportDefinition(
    code="DOO_ACTIVITY_KIND",
    title="Виды деятельности ДОО",
    family="preschool",
    params=(ON_DATE, *TERRITORY),
    columns=(
        Column(key="activity_kind", heading="Вид деятельности", type="str"),
        Column(key="organizations", heading="Количество ДОО", total=True),
        Column(key="pupils", heading="Воспитанников", total=True),
    ),
    query=activity_kinds,
    chart=ChartSpec(kind="bar", x="activity_kind", y=("organizations",)),
)

MIGRATION = ReportDefinition(
    code="DOO_MIGRATION",
    runs_as_job=True,
    title="Движение воспитанников ДОО",
    family="preschool",
    params=(DATE_FROM, DATE_TO, *TERRITORY),
    columns=(
        Column(key="organization", heading="Организация", type="str"),
        Column(key="municipality", heading="Муниципальное образование", type="str"),
        *MOVEMENT_COLUMNS,
    ),
    query=migration,
)

BY_AGE = ReportDefinition(
    code="DOO_PUPILS_BY_AGE",
    title="Численность воспитанников ДОО по возрасту",
    family="preschool",
    params=(ON_DATE, *TERRITORY),
    columns=(
        Column(key="age", heading="Возраст (полных лет на дату среза)", type="str"),
        Column(key="pupils", heading="Воспитанников", total=True),
        Column(key="boys", heading="Мальчиков", total=True),
        Column(key="girls", heading="Девочек", total=True),
    ),
    query=pupils_by_age,
    chart=ChartSpec(kind="stacked-bar", x="age", y=("boys", "girls")),
)

BY_REGIME = ReportDefinition(
    code="DOO_PUPILS_BY_REGIME",
    title="Численность воспитанников ДОО по режиму пребывания в группах",
    family="preschool",
    params=(ON_DATE, *TERRITORY),
    columns=(Column(key="regime", heading="Режим пребывания", type="str"), *GROUP_COLUMNS),
    query=pupils_by_regime,
    chart=ChartSpec(kind="bar", x="regime", y=("pupils",)),
)

BY_ORIENTATION = ReportDefinition(
    code="DOO_PUPILS_BY_ORIENTATION",
    title="Численность воспитанников ДОО по направленности групп",
    family="preschool",
    params=(ON_DATE, *TERRITORY),
    columns=(Column(key="orientation", heading="Направленность группы", type="str"), *GROUP_COLUMNS),
    query=pupils_by_orientation,
    chart=ChartSpec(kind="bar", x="orientation", y=("pupils",)),
)

REPORTS = (OWNERSHIP, ACTIVITY, MIGRATION, BY_AGE, BY_REGIME, BY_ORIENTATION)
