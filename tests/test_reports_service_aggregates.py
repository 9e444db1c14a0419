"""The mark summaries stay equal to the marks through inserts, updates, deletes and cascades, on
every backend; a rebuild gives the same rows; the performance reports read them."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import delete, func, insert, select, tuple_, update
from sqlalchemy.orm import Session

from db.models import DiaryMark, DiaryMarkDaily, DiaryMarkMonthly, PeriodMark, PeriodMarkSummary, Student
from reports.aggregates import COUNTERS, refresh_mark_summaries
from reports.catalogue import build_report
from tests.reportdata import (
    DATE_FROM,
    DATE_TO,
    SCHOOL_1,
    SCHOOL_2,
    SCHOOL_YEAR,
    SUBJECT_BASES,
    build_dataset,
    insert_dataset,
)


def counters(scale: str, raw: str) -> tuple[int, ...]:
    """One mark's contribution to ``COUNTERS``, written out by hand."""
    five = scale == "five_point"
    grades = tuple(int(five and raw == grade) for grade in "54321")
    return (1, int(scale in ("five_point", "na")), *grades, int(scale == "na"))


def expected_daily(session: Session) -> dict[tuple[Any, ...], tuple[int, ...]]:
    table: dict[tuple[Any, ...], Counter[int]] = {}
    for org, subject, day, scale, raw in session.execute(
        select(DiaryMark.organization_id, DiaryMark.subject_id, DiaryMark.mark_date, DiaryMark.scale_code,
               DiaryMark.raw_value)
    ):
        counts = table.setdefault((org, subject, day), Counter())
        counts.update(dict(enumerate(counters(scale, raw))))
    return {key: tuple(counts[i] for i in range(len(COUNTERS))) for key, counts in table.items()}


def expected_periods(session: Session) -> dict[tuple[Any, ...], tuple[int, ...]]:
    table: dict[tuple[Any, ...], Counter[int]] = {}
    for year, org, subject, kind, period, scale, raw in session.execute(
        select(PeriodMark.school_year, PeriodMark.organization_id, PeriodMark.subject_id, PeriodMark.kind,
               PeriodMark.study_period_id, PeriodMark.scale_code, PeriodMark.raw_value)
    ):
        counts = table.setdefault((year, org, subject, kind, period or 0), Counter())
        counts.update(dict(enumerate(counters(scale, raw))))
    return {key: tuple(counts[i] for i in range(len(COUNTERS))) for key, counts in table.items()}


def stored(session: Session, model: Any, keys: tuple[str, ...]) -> dict[tuple[Any, ...], tuple[int, ...]]:
    """Summary rows that still count a mark (a group emptied by deletes keeps a row of zeros)."""
    columns = [getattr(model, name) for name in (*keys, *COUNTERS)]
    rows = session.execute(select(*columns).where(model.entries != 0)).tuples()
    return {tuple(row[: len(keys)]): tuple(row[len(keys) :]) for row in rows}


DAILY_KEYS = ("organization_id", "subject_id", "mark_date")
MONTHLY_KEYS = ("organization_id", "subject_id", "month")
PERIOD_KEYS = ("school_year", "organization_id", "subject_id", "kind", "period_id")


def by_month(daily: dict[tuple[Any, ...], tuple[int, ...]]) -> dict[tuple[Any, ...], tuple[int, ...]]:
    months: dict[tuple[Any, ...], tuple[int, ...]] = {}
    for (org, subject, day), counts in daily.items():
        key = (org, subject, day.replace(day=1))
        months[key] = tuple(a + b for a, b in zip(months.get(key, (0,) * len(counts)), counts, strict=True))
    return months


def assert_summaries_match(session: Session) -> None:
    session.flush()
    daily = expected_daily(session)
    assert stored(session, DiaryMarkDaily, DAILY_KEYS) == daily
    assert stored(session, DiaryMarkMonthly, MONTHLY_KEYS) == by_month(daily)
    assert stored(session, PeriodMarkSummary, PERIOD_KEYS) == expected_periods(session)


def test_triggers_keep_the_summaries_equal_to_the_marks(session: Session) -> None:
    insert_dataset(session, build_dataset())
    assert_summaries_match(session)
    assert (session.scalar(select(func.count()).select_from(DiaryMarkDaily)) or 0) > 0
    some = session.scalars(select(DiaryMark.id).order_by(DiaryMark.id).limit(40)).all()
    session.execute(update(DiaryMark).where(DiaryMark.id.in_(some[:10])).values(raw_value="2", scale_code="five_point"))
    session.execute(update(DiaryMark).where(DiaryMark.id.in_(some[10:20])).values(mark_date=dt.date(2024, 11, 5)))
    session.execute(update(DiaryMark).where(DiaryMark.id.in_(some[20:25])).values(scale_code="na", raw_value="н/а"))
    session.execute(update(DiaryMark).where(DiaryMark.id.in_(some[25:30])).values(weight=2))  # no count changes
    session.execute(delete(DiaryMark).where(DiaryMark.id.in_(some[30:])))
    assert_summaries_match(session)
    first = session.execute(select(DiaryMark).order_by(DiaryMark.id).limit(1)).scalar_one()
    session.execute(
        insert(DiaryMark),
        [
            {"student_id": first.student_id, "organization_id": SCHOOL_2, "subject_id": first.subject_id,
             "mark_date": dt.date(2024, 12, day), "scale_code": "five_point", "raw_value": str(1 + day % 5),
             "weight": 1}
            for day in range(1, 11)
        ],
    )
    columns = list(PeriodMark.__table__.primary_key.columns)
    key = tuple_(*columns)
    period = session.execute(select(*columns).where(PeriodMark.kind == "period").order_by(*columns).limit(5)).all()
    session.execute(update(PeriodMark).where(key.in_(period)).values(raw_value="5"))
    session.execute(update(PeriodMark).where(key.in_(period[:2])).values(organization_id=SCHOOL_1))
    assert_summaries_match(session)
    student = session.scalars(select(PeriodMark.student_id).order_by(PeriodMark.student_id).limit(1)).one()
    session.execute(delete(Student).where(Student.id == student))  # cascades to both mark tables
    assert_summaries_match(session)
    summaries = ((DiaryMarkDaily, DAILY_KEYS), (DiaryMarkMonthly, MONTHLY_KEYS), (PeriodMarkSummary, PERIOD_KEYS))
    before = [stored(session, model, keys) for model, keys in summaries]
    result = refresh_mark_summaries(session)
    assert [stored(session, model, keys) for model, keys in summaries] == before
    assert (result.diary_rows, result.monthly_rows, result.period_rows) == tuple(len(rows) for rows in before)


def test_performance_reports_follow_the_writes(session: Session) -> None:
    insert_dataset(session, build_dataset())
    period = {"date_from": DATE_FROM, "date_to": DATE_TO}
    before = build_report(session, "OO_PERFORMANCE_CURRENT", period, None)
    session.execute(update(DiaryMark).where(DiaryMark.scale_code == "five_point").values(raw_value="5"))
    after = build_report(session, "OO_PERFORMANCE_CURRENT", period, None)
    assert before.totals is not None and after.totals is not None
    assert after.totals[1] == before.totals[1]  # as many marks
    for key in ("share_4", "share_3", "share_2"):
        assert set(after.column_values(key)) <= {0.0, None}, key
    assert all(value == 5.0 for value in after.column_values("average") if value is not None)
    session.execute(delete(DiaryMark))
    session.execute(delete(PeriodMark))
    assert build_report(session, "OO_PERFORMANCE_CURRENT", period, None).rows == []
    assert build_report(session, "OO_PERFORMANCE_FINAL", {"school_year": SCHOOL_YEAR}, None).rows == []


PARTIAL_RANGES = (
    (dt.date(2024, 9, 10), dt.date(2024, 11, 15)),
    (dt.date(2024, 9, 30), dt.date(2024, 10, 1)),
    (dt.date(2024, 10, 7), dt.date(2024, 10, 7)),
    (dt.date(2024, 10, 1), dt.date(2024, 10, 31)),
    (dt.date(2024, 8, 15), dt.date(2025, 1, 10)),
)
"""Edges inside months, a range across a month boundary, one day, one whole month, more than the data."""


def test_current_performance_over_partial_months(session: Session) -> None:
    data = build_dataset()
    insert_dataset(session, data)
    names = {
        subject.id: SUBJECT_BASES[subject.base_code] if subject.base_code else subject.name
        for subject in data.subjects.values()
    }
    schools = {unit.id for unit in data.organizations(None, ("12", "13"))}
    for first, last in PARTIAL_RANGES:
        counted: Counter[str] = Counter()
        fives: Counter[str] = Counter()
        for mark in data.marks:
            inside = mark.kind == "diary" and mark.day is not None and first <= mark.day <= last
            if inside and mark.org_id in schools and mark.scale in ("five_point", "na"):
                counted[names[mark.subject_id]] += 1
                fives[names[mark.subject_id]] += mark.scale == "five_point" and mark.raw == "5"
        result = build_report(session, "OO_PERFORMANCE_CURRENT", {"date_from": first, "date_to": last}, None)
        got = {row[0]: row[1] for row in result.rows if row[1]}
        assert got == {name: count for name, count in counted.items() if count}, (first, last)
        for name, share in zip(result.column_values("subject"), result.column_values("share_5"), strict=True):
            if counted[str(name)]:
                assert share == round(100 * fives[str(name)] / counted[str(name)], 2), (first, last, name)
