"""Migration of students in a date range: arrivals, departures, transfers, exits by reason.

An arrival is an enrolment entered within the range, a departure one left within it; moves
between classes or groups of the same organization (entry reason 4, exit reason 6) are neither.
A transfer between municipalities compares the organization's municipality with that of the
student's previous enrolment (for an arrival) or next enrolment (for a departure), by entry date.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Subquery

from db.models import Enrolment, Organization
from reports.definition import Column
from reports.query import count_if
from reports.snapshot import Snapshot, organization_ids

ENTRY_TRANSFER = "2"
ENTRY_INTERNAL = "4"
EXIT_TRANSFER = "1"
EXIT_EXPELLED = "2"
EXIT_GRADUATED = "4"
EXIT_INTERNAL = "6"
EXIT_LEFT_REGION = ("3", "7")

MOVEMENT_COLUMNS = (
    Column(key="arrived", heading="Прибыло", total=True),
    Column(key="arrived_transfer", heading="из них переводом из другой организации", total=True),
    Column(key="arrived_other_municipality", heading="из них из другого муниципалитета", total=True),
    Column(key="departed", heading="Выбыло", total=True),
    Column(key="departed_transfer", heading="из них переводом в другую организацию", total=True),
    Column(key="departed_other_municipality", heading="из них в другой муниципалитет", total=True),
    Column(key="graduated", heading="Окончили обучение", total=True),
    Column(key="expelled", heading="Отчислены", total=True),
    Column(key="left_region", heading="Выбыли за пределы региона", total=True),
    Column(key="other_exit", heading="Выбыли по иным основаниям", total=True),
)


def _neighbour_municipality(previous: bool) -> ColumnElement[Any]:
    """The municipality of the student's previous (or next) enrolment, by entry date."""
    other = aliased(Enrolment)
    other_org = aliased(Organization)
    order = other.entry_date.desc() if previous else other.entry_date.asc()
    when = other.entry_date < Snapshot.entry_date if previous else other.entry_date > Snapshot.entry_date
    return (
        select(other_org.municipality_id)
        .select_from(other)
        .join(other_org, other_org.id == other.organization_id)
        .where(other.student_id == Snapshot.student_id, when)
        .order_by(order, other.id.desc() if previous else other.id.asc())
        .limit(1)
        .correlate(Snapshot)
        .scalar_subquery()
    )


def count_if_then(first: ColumnElement[bool], then: ColumnElement[bool]) -> ColumnElement[int]:
    """Rows meeting ``first`` and then ``then``; ``then`` (a sub-select) is evaluated only for the
    rows meeting ``first`` (a nested CASE, where AND would leave the order to the planner)."""
    return func.coalesce(func.sum(case((first, case((then, 1), else_=0)), else_=0)), 0)


def movement_query(
    session: Session, key: str, organizations: Subquery, date_from: dt.date, date_to: dt.date
) -> Subquery:
    """Counts of ``MOVEMENT_COLUMNS`` per value of the column ``key`` of ``organizations`` (from
    ``reports.snapshot.organizations_of``), that value as ``key``, over the enrolments entered or
    left in the range: counted per organization first, then summed per key."""
    entered = and_(Snapshot.entry_date >= date_from, Snapshot.entry_date <= date_to)
    left = and_(Snapshot.exit_date >= date_from, Snapshot.exit_date <= date_to)
    arrived = and_(entered, Snapshot.entry_reason_code != ENTRY_INTERNAL)
    departed = and_(left, Snapshot.exit_reason_code != EXIT_INTERNAL)
    arrived_transfer = and_(entered, Snapshot.entry_reason_code == ENTRY_TRANSFER)
    departed_transfer = and_(left, Snapshot.exit_reason_code == EXIT_TRANSFER)
    named_exits = (EXIT_TRANSFER, EXIT_EXPELLED, EXIT_GRADUATED, EXIT_INTERNAL, *EXIT_LEFT_REGION)
    own = aliased(Organization)
    municipality = select(own.municipality_id).where(own.id == Snapshot.organization_id).scalar_subquery()
    counts = (
        count_if(arrived),
        count_if(arrived_transfer),
        count_if_then(arrived_transfer, _neighbour_municipality(True) != municipality),
        count_if(departed),
        count_if(departed_transfer),
        count_if_then(departed_transfer, _neighbour_municipality(False) != municipality),
        count_if(and_(left, Snapshot.exit_reason_code == EXIT_GRADUATED)),
        count_if(and_(left, Snapshot.exit_reason_code == EXIT_EXPELLED)),
        count_if(and_(left, Snapshot.exit_reason_code.in_(EXIT_LEFT_REGION))),
        count_if(and_(left, Snapshot.exit_reason_code.not_in(named_exits))),
    )
    per_organization = (
        select(Snapshot.organization_id, *(count.label(f"count_{index}") for index, count in enumerate(counts)))
        .where(or_(entered, left), Snapshot.organization_id.in_(organization_ids(session, organizations)))
        .group_by(Snapshot.organization_id)
        .subquery("per_organization")
    )
    return (
        select(
            organizations.c[key].label("key"),
            *(func.sum(per_organization.c[f"count_{index}"]).label(f"count_{index}") for index in range(len(counts))),
        )
        .select_from(per_organization)
        .join(organizations, organizations.c.id == per_organization.c.organization_id)
        .group_by(organizations.c[key])
        .subquery("movements")
    )
