"""Enrolment histories: entries, transfers, exits with reasons, and the student's cached current state."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from db import classifiers as cls
from kontingent_ws.demo.context import Context

ADMISSION, TRANSFER_IN = "1", "2"
TRANSFER_OUT, EXPELLED, OUTSIDE_REGION, GRADUATED, OUTSIDE_COUNTRY, OTHER = "1", "2", "3", "4", "7", "9"
STUDYING = "1"


@dataclass(frozen=True, kw_only=True, slots=True)
class Stay:
    """One enrolment of a student."""

    organization_id: int
    class_group_id: int | None
    level: str
    programme: str
    entry: dt.date
    entry_reason: str
    exit: dt.date | None = None
    exit_reason: str | None = None
    specialty: str | None = None
    primary: bool = True


def status_after(stay: Stay) -> str:
    """The ``enrolment_status`` a student has when ``stay`` is the latest primary enrolment."""
    if stay.exit_reason is None:
        return STUDYING
    return str(cls.item_of(cls.EXIT_REASON, stay.exit_reason).extra["status"])  # type: ignore[union-attr]


def _order(ctx: Context, day: dt.date) -> str:
    return f"Приказ № {ctx.rng.randrange(1, 300)}-у от {day:%d.%m.%Y}"


def write_stay(ctx: Context, student_id: int, stay: Stay, system_id: int | None) -> None:
    enrolment_id = ctx.ids("enrolment")
    ctx.add("enrolment", (
        enrolment_id, student_id, stay.organization_id, stay.class_group_id, stay.level, stay.programme,
        cls.name_of(cls.PROGRAM_KIND, stay.programme), "11", stay.specialty, stay.primary, stay.entry,
        stay.entry_reason, _order(ctx, stay.entry), stay.exit, stay.exit_reason,
        None if stay.exit is None else _order(ctx, stay.exit), system_id,
    ))  # fmt: skip
    ctx.change("enrolment", enrolment_id, stay.organization_id, stay.exit or stay.entry)


def write_student(
    ctx: Context, student_id: int, stays: list[Stay], *, system_id: int | None, special_needs: bool = False
) -> str:
    """The student row (status and current-* caches from the latest primary stay) and all its enrolments.

    Returns the student's status code. Stays of one student at one organization never overlap: each
    starts after the previous one ended.
    """
    current = max((stay for stay in stays if stay.primary), key=lambda stay: stay.entry)
    status = status_after(current)
    rng = ctx.rng
    health = "1" if rng.random() < 0.35 else "2" if rng.random() < 0.8 else "3"
    disability = "2" if special_needs and rng.random() < 0.3 else None
    ctx.add("student", (
        student_id, status, current.organization_id, current.class_group_id, current.level, "11", health,
        disability, special_needs, system_id,
    ))  # fmt: skip
    for stay in stays:
        write_stay(ctx, student_id, stay, system_id)
    last_event = max((stay.exit or stay.entry) for stay in stays)
    ctx.change("student", student_id, current.organization_id, last_event)
    return status


def weekday_on_or_after(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def random_day(ctx: Context, first: dt.date, last: dt.date) -> dt.date:
    """A working day between ``first`` and ``last`` (``first`` if the span is empty)."""
    span = (last - first).days
    day = first + dt.timedelta(days=ctx.rng.randrange(span + 1)) if span > 0 else first
    return min(weekday_on_or_after(day), max(first, last))
