"""School (ОО) reports against plain-Python counts over the records of the test region."""

from __future__ import annotations

from collections import defaultdict

import pytest
from sqlalchemy.orm import Session

from db import classifiers
from reports.catalogue import get_report
from reports.query import NOT_SPECIFIED
from tests.reportdata import (
    CITY_AUTHORITY,
    DATE_FROM,
    DATE_TO,
    MUNICIPALITIES,
    ON_DATE,
    SCHOOL_1,
    SCHOOL_YEAR,
    SUBJECT_BASES,
    Dataset,
    Mark,
    build_dataset,
    insert_dataset,
    movement,
)

SCOPES = (None, CITY_AUTHORITY, SCHOOL_1)
SCHOOLS = ("12", "13")
LEVELS = {
    range(1, 5): "Начальное общее образование",
    range(5, 10): "Основное общее образование",
    range(10, 13): "Среднее общее образование",
}


@pytest.fixture
def data(session: Session) -> Dataset:
    dataset = build_dataset()
    insert_dataset(session, dataset)
    return dataset


def _municipality(data: Dataset, org_id: int) -> str:
    muni = data.units[org_id].municipality_id
    return MUNICIPALITIES[muni][0] if muni else ""


def _sexes(data: Dataset, students: set[int]) -> tuple[int, int, int]:
    boys = sum(data.people[s].sex == "1" for s in students)
    return len(students), boys, len(students) - boys


def expected_registry(data: Dataset, scope: int | None, types: tuple[str, ...] = SCHOOLS) -> list[tuple]:
    stays = data.stays_on(ON_DATE, scope, types)
    rows = [
        (
            unit.name,
            classifiers.name_of(classifiers.ORG_TYPE, unit.type_code or ""),
            _municipality(data, unit.id),
            unit.inn or "",
            "",
            classifiers.name_of(classifiers.ORG_STATUS, unit.status),
            unit.address or "",
            len({s.student_id for s in stays if s.org_id == unit.id}),
        )
        for unit in data.organizations(scope, types)
    ]
    return sorted(rows, key=lambda row: (row[2], row[0]))


def expected_structure(data: Dataset, scope: int | None) -> list[tuple]:
    table: dict[tuple, tuple[set, set]] = {}
    for stay in data.stays_on(ON_DATE, scope, SCHOOLS):
        group = data.groups[stay.group_id] if stay.group_id else None
        grade = group.grade if group else None
        classes, students = table.setdefault((grade, stay.form), (set(), set()))
        if group:
            classes.add(group.id)
        students.add(stay.student_id)
    rows = []
    for grade, form in sorted(table, key=lambda key: (key[0] is None, key[0] or 0, key[1])):
        classes, students = table[(grade, form)]
        level = next((name for grades, name in LEVELS.items() if grade in grades), NOT_SPECIFIED)
        girls = sum(data.people[s].sex == "2" for s in students)
        rows.append(
            (
                str(grade) if grade else "—",
                level,
                classifiers.name_of(classifiers.EDUCATION_FORM, form),
                len(classes),
                len(students),
                girls,
            )
        )
    return rows


def expected_migration(data: Dataset, scope: int | None) -> list[tuple]:
    by_municipality = defaultdict(list)
    orgs = {unit.id for unit in data.organizations(scope, SCHOOLS)}
    for stay in data.stays:
        moved = DATE_FROM <= stay.entry <= DATE_TO or (stay.exit is not None and DATE_FROM <= stay.exit <= DATE_TO)
        if stay.org_id in orgs and moved:
            by_municipality[_municipality(data, stay.org_id)].append(stay)
    return [(name, *movement(data, by_municipality[name])) for name in sorted(by_municipality)]


def expected_students(data: Dataset, scope: int | None) -> list[tuple]:
    stays = data.stays_on(ON_DATE, scope, SCHOOLS)
    rows = []
    for org_id in {stay.org_id for stay in stays}:
        students = {s.student_id for s in stays if s.org_id == org_id}
        rows.append((data.units[org_id].name, _municipality(data, org_id), *_sexes(data, students)))
    return sorted(rows, key=lambda row: (row[1], row[0]))


def expected_by_municipality(data: Dataset, scope: int | None) -> list[tuple]:
    stays = data.stays_on(ON_DATE, scope, SCHOOLS)
    table: dict[int | None, tuple[set, set]] = {}
    for unit in data.organizations(scope, SCHOOLS):
        orgs, students = table.setdefault(unit.municipality_id, (set(), set()))
        orgs.add(unit.id)
        students |= {s.student_id for s in stays if s.org_id == unit.id}
    rows = []
    for muni, (orgs, students) in table.items():
        name, parent, _ = MUNICIPALITIES[muni] if muni else (NOT_SPECIFIED, None, "")
        place = (MUNICIPALITIES[parent][0], name) if parent else (name, "")
        rows.append((*place, len(orgs), *_sexes(data, students)))
    return sorted(rows)


def _subject_name(data: Dataset, mark: Mark) -> str:
    subject = data.subjects[mark.subject_id]
    return SUBJECT_BASES[subject.base_code] if subject.base_code else subject.name


def _performance(marks: list[Mark]) -> tuple:
    counted = [m for m in marks if m.scale in ("five_point", "na")]
    numbers = [m.numeric for m in counted if m.numeric is not None]
    total = len(counted)

    def share(n: int) -> float | None:
        return round(100 * n / total, 2) if total else None

    grades = [sum(m.scale == "five_point" and m.raw == g for m in counted) for g in ("5", "4", "3", "2")]
    not_attested = sum(m.scale == "na" for m in counted)
    average = round(sum(numbers) / len(numbers), 2) if numbers else None
    return (total, average, *(share(n) for n in (*grades, not_attested)), share(grades[0] + grades[1]))


def expected_current(data: Dataset, scope: int | None) -> list[tuple]:
    orgs = {unit.id for unit in data.organizations(scope, SCHOOLS)}
    by_subject = defaultdict(list)
    for mark in data.marks:
        if mark.kind == "diary" and mark.org_id in orgs and DATE_FROM <= mark.day <= DATE_TO:  # type: ignore[operator]
            by_subject[_subject_name(data, mark)].append(mark)
    return [(name, *_performance(by_subject[name])) for name in sorted(by_subject)]


def expected_final(data: Dataset, scope: int | None, kind: str | None = None) -> list[tuple]:
    orgs = {unit.id for unit in data.organizations(scope, SCHOOLS)}
    groups = defaultdict(list)
    kinds = ("period", "annual", "final")
    for mark in data.marks:
        if mark.kind in kinds and mark.school_year == SCHOOL_YEAR and mark.org_id in orgs and kind in (None, mark.kind):
            period = data.periods[mark.period_id] if mark.period_id else None
            key = (
                _subject_name(data, mark),
                kinds.index(mark.kind),
                period.kind if period else "",
                period.number if period else 0,
            )
            groups[key].append(mark)
    rows = []
    for key in sorted(groups):
        name, kind_index, period_kind, number = key
        if kinds[kind_index] == "period":
            label = f"{classifiers.name_of(classifiers.STUDY_PERIOD_KIND, period_kind)} {number}"
        else:
            label = classifiers.name_of(classifiers.PERIOD_MARK_KIND, kinds[kind_index])
        rows.append((name, label, *_performance(groups[key])))
    return rows


def test_registry_structure_and_attendance(session: Session, data: Dataset) -> None:
    on_date = {"on_date": ON_DATE.isoformat()}
    for scope in SCOPES:
        assert get_report("OO_REGISTRY").build(session, on_date, scope).rows == expected_registry(data, scope)
        assert get_report("OO_STRUCTURE").build(session, on_date, scope).rows == expected_structure(data, scope)
        assert get_report("OO_STUDENTS").build(session, on_date, scope).rows == expected_students(data, scope)
        by_municipality = get_report("OO_STUDENTS_BY_MUNICIPALITY").build(session, on_date, scope)
        assert by_municipality.rows == expected_by_municipality(data, scope)
    colleges = get_report("OO_REGISTRY").build(session, {**on_date, "org_type": "14"}, None)
    assert colleges.rows == expected_registry(data, None, ("14",))
    with_family_education = [
        row for row in get_report("OO_STRUCTURE").build(session, on_date, None).rows if row[0] == "—"
    ]
    assert with_family_education and with_family_education[0][2] == "Семейное образование"


def test_migration_and_performance(session: Session, data: Dataset) -> None:
    period = {"date_from": DATE_FROM.isoformat(), "date_to": DATE_TO.isoformat()}
    year = {"school_year": str(SCHOOL_YEAR)}
    for scope in SCOPES:
        assert get_report("OO_MIGRATION").build(session, period, scope).rows == expected_migration(data, scope)
        assert get_report("OO_PERFORMANCE_CURRENT").build(session, period, scope).rows == expected_current(data, scope)
        assert get_report("OO_PERFORMANCE_FINAL").build(session, year, scope).rows == expected_final(data, scope)
    annual = get_report("OO_PERFORMANCE_FINAL").build(session, {**year, "kind": "annual"}, None)
    assert annual.rows == expected_final(data, None, "annual")
    region = get_report("OO_MIGRATION").build(session, period, None)
    columns = [column.key for column in region.definition.columns]
    assert region.totals is not None
    totals = dict(zip(columns, region.totals, strict=True))
    # The school 1 → rural school transfer crosses municipalities; the move inside school 1 is no movement.
    assert totals["arrived_other_municipality"] >= 1 and totals["left_region"] == 2
