"""The kindergarten queue: applications of children not yet enrolled, by municipality."""

from __future__ import annotations

import datetime as dt

from kontingent_ws.demo.context import UTC, Context
from kontingent_ws.demo.people import UnitPeople

QUEUE_SHARE = 0.04
"""Applications per pupil of the municipality."""


def _at(day: dt.date, minute: int) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 9 + minute // 60 % 9, minute % 60, tzinfo=UTC)


def build_queue(ctx: Context, people: UnitPeople, kindergartens: list[int], system_id: int) -> None:
    """Applications with preferred kindergartens in order and the history of their statuses."""
    if not kindergartens:
        return
    rng = ctx.rng
    unit = people.unit
    for number in range(max(1, round(unit.students * QUEUE_SHARE))):
        born = ctx.as_of - dt.timedelta(days=30 + rng.randrange(1000))
        child_id, family, _sex = people.child(born)
        applicant_id = family.representatives[0][0]
        submitted = min(born + dt.timedelta(days=20 + rng.randrange(200)), ctx.as_of - dt.timedelta(days=1))
        desired = dt.date(max(ctx.year + 1, born.year + 2), 9, 1)
        roll = rng.random()
        history = ["1", "2"] + (["3"] if roll < 0.2 else ["5"] if roll < 0.25 else [])
        if roll > 0.97:
            history = ["1"]
        application_id = ctx.ids("queue_application")
        privilege = rng.choices(("4", "3", "2", "1"), (85, 6, 7, 2))[0]
        orientation = "2" if rng.random() < 0.05 else "1"
        ctx.add("queue_application", (
            application_id, f"{ctx.config.region_code}-{unit.index:03d}-{submitted:%Y%m%d}-{number:05d}", child_id,
            applicant_id, unit.municipality_id, _at(submitted, rng.randrange(540)), desired, orientation,
            rng.choices(("3", "1", "2"), (90, 6, 4))[0], privilege, history[-1], system_id,
        ))  # fmt: skip
        chosen = rng.sample(kindergartens, k=min(len(kindergartens), 1 + rng.randrange(3)))
        for rank, organization_id in enumerate(chosen, start=1):
            ctx.add("queue_preference", (ctx.ids("queue_preference"), application_id, organization_id, rank))
        day = submitted
        for status in history:
            comment = "Направление в ДОО № 1 выбранного списка" if status == "3" else None
            if status == "5":
                comment = "Снят с учёта по заявлению родителя"
            ctx.add("queue_status_change", (ctx.ids("queue_status_change"), application_id, status,
                                            _at(day, rng.randrange(540)), comment))  # fmt: skip
            day = min(day + dt.timedelta(days=1 + rng.randrange(30)), ctx.as_of)
