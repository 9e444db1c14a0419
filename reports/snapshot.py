"""Students enrolled on a snapshot date, counted from ``report_enrolment``, and its rebuild.

``report_enrolment`` (see ``db.models.report_enrolment``) is one narrow row per enrolment with the
student's sex, birth date (as YYYYMMDD) and citizenship, kept by triggers. A report counts
distinct students per group in two steps: the rows enrolled on the date are grouped by the
report's keys and the student (one row per student and group, with a 0/1 flag per counted
condition), then those are counted per group. That is the same number as COUNT(DISTINCT …) but
one hashed pass instead of a sort per counted column.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from sqlalchemy import (
    Integer,
    Select,
    and_,
    case,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import CTE

from db.models import ClassGroup, Enrolment, Organization, Person, ReportEnrolment
from reports.params import ParamValue
from reports.query import Groupable, organization_filter

Snapshot = ReportEnrolment
ClassJoin = Literal["inner", "outer"] | None

ENROLMENT_COLUMNS = (
    "student_id",
    "organization_id",
    "class_group_id",
    "entry_date",
    "exit_date",
    "education_level_code",
    "education_form_code",
    "specialty_code",
    "entry_reason_code",
    "exit_reason_code",
)
"""The columns ``report_enrolment`` copies from ``enrolment`` (its ``enrolment_id`` is ``enrolment.id``)."""
PERSON_COLUMNS = ("sex", "birth_key", "citizenship_code")
"""The columns it takes from the student's ``person`` row."""
FOREVER = dt.date(9999, 12, 31)
"""The exit date of an enrolment not left, when comparing periods."""
BIRTH_KEY_SHIFT = 100_000_000
"""Added before dividing so that the integer division of a negative difference still floors."""


def day_key(day: dt.date) -> int:
    """A date as the number YYYYMMDD (the form ``report_enrolment.birth_key`` holds birth dates in)."""
    return day.year * 10_000 + day.month * 100 + day.day


def years_on(on_date: dt.date) -> ColumnElement[int]:
    """A student's age in full years on ``on_date``: whole ten-thousands of (date − birth) as YYYYMMDD.

    A birthday on the date counts (same month and day: the difference ends in 0000); a birth on
    29 February is a year older from 1 March in a common year, as in ``reports.query.full_years``.
    """
    difference = literal(day_key(on_date) + BIRTH_KEY_SHIFT, Integer) - Snapshot.birth_key
    return cast(difference // 10_000 - BIRTH_KEY_SHIFT // 10_000, Integer)


def enrolled_on(on_date: dt.date) -> ColumnElement[bool]:
    """A snapshot row active on ``on_date``: entered on or before it, not left by it."""
    return and_(
        Snapshot.entry_date <= on_date,
        or_(Snapshot.exit_date.is_(None), Snapshot.exit_date > on_date),
    )


def organizations_of(
    params: Mapping[str, ParamValue], scope_unit_id: int | None, default_types: tuple[str, ...] = ()
) -> CTE:
    """The organizations the parameters and the scope select, with the attributes reports group by.

    A materialized CTE: a thousand rows joined once, where joining ``Organization`` itself (two
    tables, ``org_unit`` and ``organization``) would cost two hash probes per enrolment."""
    return (
        select(Organization.id, Organization.type_code, Organization.municipality_id, Organization.activity_kind_code)
        .where(*organization_filter(params, scope_unit_id, default_types))
        .cte("organizations")
        .prefix_with("MATERIALIZED")
    )


def enrolled(
    on_date: dt.date,
    params: Mapping[str, ParamValue],
    scope_unit_id: int | None,
    default_types: tuple[str, ...] = (),
    class_group: ClassJoin = None,
    organizations: CTE | None = None,
) -> Select[Any]:
    """An empty SELECT over the rows enrolled on the date in the organizations the parameters and
    the scope select. ``organizations`` (from :func:`organizations_of`, for a report grouping by an
    organization attribute) is joined, or one made here when the parameters restrict organizations;
    ``ClassGroup`` is joined when ``class_group`` says how."""
    query = select().select_from(Snapshot).where(enrolled_on(on_date))
    if organizations is None and organization_filter(params, scope_unit_id, default_types):
        organizations = organizations_of(params, scope_unit_id, default_types)
    if organizations is not None:
        query = query.join(organizations, organizations.c.id == Snapshot.organization_id)
    if class_group is not None:
        query = query.join(ClassGroup, ClassGroup.id == Snapshot.class_group_id, isouter=class_group == "outer")
    return query


def count_students(
    rows: Select[Any], keys: Sequence[Groupable], flags: Sequence[ColumnElement[bool]] = ()
) -> Select[Any]:
    """(keys…, students, students meeting each flag…) per group of ``keys`` over ``rows``
    (from :func:`enrolled`); a student counts once per group, and for a flag when any of their
    rows of the group meets it.

    Rows marked ``alone`` are their student's only active enrolment, so they are counted as they
    are; only the few students with overlapping enrolments are grouped per student first.
    """
    labelled = [key.label(f"key_{index}") for index, key in enumerate(keys)]
    single = rows.where(Snapshot.alone).add_columns(
        *labelled,
        func.count().label("students"),
        *(func.sum(case((flag, 1), else_=0)).label(f"count_{index}") for index, flag in enumerate(flags)),
    ).group_by(*keys)
    per_student = (
        rows.where(~Snapshot.alone)
        .add_columns(
            *labelled,
            Snapshot.student_id,
            *(func.max(case((flag, 1), else_=0)).label(f"flag_{index}") for index, flag in enumerate(flags)),
        )
        .group_by(*keys, Snapshot.student_id)
        .subquery("per_student")
    )
    shared_keys = [per_student.c[f"key_{index}"] for index in range(len(keys))]
    shared = select(
        *shared_keys,
        func.count().label("students"),
        *(func.sum(per_student.c[f"flag_{index}"]).label(f"count_{index}") for index in range(len(flags))),
    ).group_by(*shared_keys)
    both = union_all(single, shared).subquery("both_parts")
    grouped = [both.c[f"key_{index}"] for index in range(len(keys))]
    return select(
        *grouped,
        func.sum(both.c.students).label("students"),
        *(func.sum(both.c[f"count_{index}"]).label(f"count_{index}") for index in range(len(flags))),
    ).group_by(*grouped)


def count_groups(rows: Select[Any], keys: Sequence[Groupable]) -> Select[Any]:
    """(keys…, class groups) per group of ``keys``: the distinct classes or groups of ``rows``."""
    per_group = (
        rows.add_columns(*(key.label(f"key_{index}") for index, key in enumerate(keys)), Snapshot.class_group_id)
        .where(Snapshot.class_group_id.is_not(None))
        .group_by(*keys, Snapshot.class_group_id)
        .subquery("per_group")
    )
    grouped = [per_group.c[f"key_{index}"] for index in range(len(keys))]
    return select(*grouped, func.count().label("groups")).group_by(*grouped)


def is_girl() -> ColumnElement[bool]:
    return Snapshot.sex == "2"


def is_boy() -> ColumnElement[bool]:
    return Snapshot.sex == "1"


def refresh_report_enrolments(session: Session) -> int:
    """Rebuild ``report_enrolment`` from ``enrolment`` ⋈ ``person`` in the session's transaction
    (the caller commits); on PostgreSQL both are locked against writes meanwhile. Returns its rows."""
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        session.execute(text("LOCK TABLE enrolment, person IN SHARE MODE"))
    session.execute(delete(Snapshot))
    birth = Person.birth_date
    birth_key = (
        cast(func.to_char(birth, "YYYYMMDD"), Integer)
        if postgres
        else cast(func.strftime("%Y%m%d", birth), Integer)
    )
    copied = [getattr(Enrolment, name) for name in ENROLMENT_COLUMNS]
    person = [Person.sex, birth_key, Person.citizenship_code]
    session.execute(
        insert(Snapshot).from_select(
            ["enrolment_id", *ENROLMENT_COLUMNS, *PERSON_COLUMNS],
            select(Enrolment.id, *copied, *person).join(Person, Person.id == Enrolment.student_id),
        )
    )
    other = aliased(Snapshot, name="other")
    overlapping = exists().where(
        other.student_id == Snapshot.student_id,
        other.enrolment_id != Snapshot.enrolment_id,
        other.entry_date < func.coalesce(Snapshot.exit_date, FOREVER),
        Snapshot.entry_date < func.coalesce(other.exit_date, FOREVER),
    )
    several = select(Enrolment.student_id).group_by(Enrolment.student_id).having(func.count() > 1)
    session.execute(
        update(Snapshot)
        .values(alone=~overlapping)
        .where(Snapshot.student_id.in_(several), Snapshot.alone != ~overlapping)
    )
    return int(session.scalar(select(func.count()).select_from(Snapshot)) or 0)
