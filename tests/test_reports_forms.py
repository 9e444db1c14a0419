"""ОО-1-like and 85-К-like tables against plain-Python counts, with their snapshot and age dates."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from db import classifiers
from reports.catalogue import get_report
from tests.reportdata import (
    CITY_AUTHORITY,
    KINDERGARTEN_1,
    SCHOOL_1,
    SCHOOL_YEAR,
    Dataset,
    build_dataset,
    full_years,
    insert_dataset,
)

OO1_DATE = dt.date(SCHOOL_YEAR, 9, 20)
K85_DATE = dt.date(SCHOOL_YEAR, 12, 31)
K85_AGE_DATE = dt.date(SCHOOL_YEAR + 1, 1, 1)


@pytest.fixture
def data(session: Session) -> Dataset:
    dataset = build_dataset()
    insert_dataset(session, dataset)
    return dataset


def expected_oo1(data: Dataset, scope: int | None) -> list[tuple]:
    stays = [s for s in data.stays_on(OO1_DATE, scope, ("12", "13")) if s.group_id]
    rows = []
    for grade in range(1, 12):
        in_grade = [s for s in stays if data.groups[s.group_id].grade == grade]  # type: ignore[index]
        pupils = {s.student_id for s in in_grade}
        rows.append(
            (
                f"{grade} класс",
                len({s.group_id for s in in_grade}),
                len(pupils),
                sum(data.people[p].sex == "2" for p in pupils),
                len({s.student_id for s in in_grade if data.groups[s.group_id].is_adapted}),  # type: ignore[index]
            )
        )
    return rows


def expected_85k_groups(data: Dataset, scope: int | None) -> list[tuple]:
    stays = [s for s in data.stays_on(K85_DATE, scope, ("11",)) if s.group_id]
    bands = [item.code for item in classifiers.items_of(classifiers.GROUP_AGE_BAND)]
    rows = []
    for item in classifiers.items_of(classifiers.GROUP_ORIENTATION):
        groups = {data.groups[s.group_id].id for s in stays if data.groups[s.group_id].orientation == item.code}  # type: ignore[index]
        if not groups:
            continue
        pupils = {s.student_id for s in stays if s.group_id in groups}
        per_band = [sum(data.groups[g].age_band == band for g in groups) for band in bands]
        rows.append((item.name, *per_band, len(groups), len(pupils)))
    return rows


def expected_85k_ages(data: Dataset, scope: int | None) -> list[tuple]:
    stays = data.stays_on(K85_DATE, scope, ("11",))
    labels = ["до 1 года", "1 год", "2 года", "3 года", "4 года", "5 лет", "6 лет", "7 лет и старше"]
    rows = []
    for years, label in enumerate(labels):
        pupils = {
            s.student_id for s in stays if min(full_years(data.people[s.student_id].birth, K85_AGE_DATE), 7) == years
        }
        rows.append(
            (
                label,
                len(pupils),
                sum(data.people[p].sex == "2" for p in pupils),
                sum(data.people[p].citizenship in ("3", "4") for p in pupils),
            )
        )
    return rows


def test_oo1_and_85k(session: Session, data: Dataset) -> None:
    year = {"year": str(SCHOOL_YEAR)}
    for scope in (None, CITY_AUTHORITY, SCHOOL_1, KINDERGARTEN_1):
        assert get_report("FORM_OO1_CLASSES").build(session, year, scope).rows == expected_oo1(data, scope)
        assert get_report("FORM_85K_GROUPS").build(session, year, scope).rows == expected_85k_groups(data, scope)
        assert get_report("FORM_85K_AGES").build(session, year, scope).rows == expected_85k_ages(data, scope)
    ages = get_report("FORM_85K_AGES").build(session, year, None)
    born_new_year = [p for p in data.people.values() if p.birth == dt.date(2020, 1, 1)]
    assert born_new_year and full_years(born_new_year[0].birth, K85_AGE_DATE) == 5
    assert ages.totals is not None and ages.totals[3] >= 1
