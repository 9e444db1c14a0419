"""Students enrolled on a snapshot date, counted from ``report_enrolment``, and its rebuild.

``report_enrolment`` (see ``db.models.report_enrolment``) is one narrow row per enrolment with the
student's sex, birth date (as YYYYMMDD) and citizenship, kept by triggers; ``alone`` marks a row
whose student has no other enrolment sharing a day with it. :func:`count_students` gives the same
numbers as COUNT(DISTINCT student_id) per group, in one hashed pass: ``alone`` rows are counted as
rows, only the other students (about one in eight) are grouped per student; organization and class
attributes are joined to groups of rows, never to each enrolment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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
    null,
    or_,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import CTE, Subquery

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
) -> Subquery:
    """The organizations the parameters and the scope select, with the attributes reports group by.

    Enrolments are filtered with ``organization_id IN (…)`` (:func:`organization_ids`) and grouped
    by organization first; the attributes are joined to those groups, not to every enrolment."""
    return (
        select(Organization.id, Organization.type_code, Organization.municipality_id, Organization.activity_kind_code)
        .where(*organization_filter(params, scope_unit_id, default_types))
        .subquery("organizations")
    )


@dataclass(frozen=True, kw_only=True)
class Enrolled:
    """Which snapshot rows a report counts: those active on the date, in the selected organizations
    (None: every one), with the class or group of each joined as ``class_join`` says."""

    on_date: dt.date
    organizations: Subquery | None = None
    organization_ids: list[int] | None = None
    """The ids of the selected organizations when the parameters or the scope leave some out."""
    class_join: ClassJoin = None
    class_conditions: tuple[ColumnElement[bool], ...] = ()
    """Conditions on ``ClassGroup`` (``class_join`` must be set)."""


def organization_ids(session: Session, organizations: Subquery) -> list[int]:
    """The ids of ``organizations``: a list of constants that PostgreSQL matches each row against
    with a hash lookup in the scan, cheaper than a semi-join node over a million rows."""
    return list(session.scalars(select(organizations.c.id)))


def enrolled(
    session: Session,
    on_date: dt.date,
    params: Mapping[str, ParamValue],
    scope_unit_id: int | None,
    default_types: tuple[str, ...] = (),
    class_group: ClassJoin = None,
    organizations: Subquery | None = None,
    class_conditions: tuple[ColumnElement[bool], ...] = (),
) -> Enrolled:
    """The rows enrolled on the date in the organizations the parameters and the scope select.
    ``organizations`` (from :func:`organizations_of`, for a report grouping by an organization
    attribute) is used, or one made here when the parameters restrict organizations."""
    restricted = bool(organization_filter(params, scope_unit_id, default_types))
    if organizations is None and restricted:
        organizations = organizations_of(params, scope_unit_id, default_types)
    return Enrolled(
        on_date=on_date,
        organizations=organizations,
        organization_ids=organization_ids(session, organizations) if organizations is not None and restricted else None,
        class_join=class_group,
        class_conditions=class_conditions,
    )


def _sources(expression: ColumnElement[Any] | Groupable) -> list[Any]:
    """The tables, subqueries or CTEs ``expression`` reads."""
    clause = expression.__clause_element__() if isinstance(expression, InstrumentedAttribute) else expression
    return list(clause._from_objects)


def _on_snapshot(expression: ColumnElement[Any] | Groupable) -> bool:
    """Whether ``expression`` reads ``report_enrolment`` columns only (else a joined dimension)."""
    sources = _sources(expression)
    return bool(sources) and all(source is Snapshot.__table__ for source in sources)


def _reads_organizations(enrolled: Enrolled, expressions: Sequence[Any]) -> bool:
    """Whether any of ``expressions`` reads an attribute of the selected organizations."""
    organizations = enrolled.organizations
    return organizations is not None and any(
        organizations in _sources(expression) for expression in expressions
    )


def _first_level(
    enrolled: Enrolled, by_organization: bool, row_keys: Sequence[Groupable], *columns: Any
) -> tuple[Select[Any], list[Any]]:
    """The SELECT of the rows of ``enrolled`` grouped by their organization (``by_organization``)
    and class (when joined) and ``row_keys``; returns it and the grouping columns."""
    grouping: list[Any] = []
    if by_organization:
        grouping.append(Snapshot.organization_id.label("organization_id"))
    if enrolled.class_join is not None:
        grouping.append(Snapshot.class_group_id.label("class_group_id"))
    grouping += [key.label(f"row_key_{index}") for index, key in enumerate(row_keys)]
    query = select(*grouping, *columns).where(enrolled_on(enrolled.on_date))
    if enrolled.organization_ids is not None:
        query = query.where(Snapshot.organization_id.in_(enrolled.organization_ids))
    return query, grouping


def _dimensions(enrolled: Enrolled, by_organization: bool, level: Subquery | CTE, query: Select[Any]) -> Select[Any]:
    """``query`` over the first-level rows ``level`` with the selected organizations (``by_organization``)
    and classes joined."""
    query = query.select_from(level)
    if by_organization and enrolled.organizations is not None:
        query = query.join(enrolled.organizations, enrolled.organizations.c.id == level.c.organization_id)
    if enrolled.class_join is not None:
        query = query.join(
            ClassGroup, ClassGroup.id == level.c.class_group_id, isouter=enrolled.class_join == "outer"
        ).where(*enrolled.class_conditions)
    return query


def _split(keys: Sequence[Groupable]) -> tuple[list[Groupable], list[tuple[int, Groupable]]]:
    """The keys on report_enrolment columns and the others (organization or class attributes) with their places."""
    row_keys = [key for key in keys if _on_snapshot(key)]
    other = [(index, key) for index, key in enumerate(keys) if not _on_snapshot(key)]
    return row_keys, other


def _keys_in_order(keys: Sequence[Groupable], level: Subquery | CTE, other: list[tuple[int, Groupable]]) -> list[Any]:
    """The final key columns in the order of ``keys``: row keys from ``level``, the others as given."""
    others = dict(other)
    row_index = 0
    ordered: list[Any] = []
    for index in range(len(keys)):
        if index in others:
            ordered.append(others[index].label(f"key_{index}"))
        else:
            ordered.append(level.c[f"row_key_{row_index}"].label(f"key_{index}"))
            row_index += 1
    return ordered


def count_students(
    enrolled: Enrolled,
    keys: Sequence[Groupable],
    flags: Sequence[ColumnElement[bool]] = (),
    *,
    classes: bool = False,
) -> Select[Any]:
    """(keys…, students, students meeting each flag…[, classes]) per group of ``keys`` over the
    rows of ``enrolled``; a student counts once per group, and for a flag when any of their rows of
    the group meets it; ``classes`` adds the number of distinct classes or groups (``class_join``
    must be set). Keys and flags may read ``report_enrolment``, the class (``ClassGroup``) or the
    selected organizations' columns.

    One pass over the table: rows are grouped by their organization and class (when needed), the
    keys on report_enrolment columns and "who" – nobody for a row marked ``alone`` (its student's
    only active enrolment, counted as a row), the student for the few others; the organization and
    class attributes are joined to those groups, and the students counted per key at the end.
    """
    row_keys, other = _split(keys)
    row_flags = [(index, flag) for index, flag in enumerate(flags) if _on_snapshot(flag)]
    other_flags = [(index, flag) for index, flag in enumerate(flags) if not _on_snapshot(flag)]
    by_organization = _reads_organizations(enrolled, [*keys, *flags])
    who = case((Snapshot.alone, null()), else_=Snapshot.student_id).label("who")
    first_query, grouping = _first_level(
        enrolled,
        by_organization,
        row_keys,
        who,
        func.count().label("rows"),
        *(func.sum(case((flag, 1), else_=0)).label(f"sum_{index}") for index, flag in row_flags),
        *(func.max(case((flag, 1), else_=0)).label(f"max_{index}") for index, flag in row_flags),
    )
    grouped = first_query.group_by(*grouping, who)
    # read twice when classes are counted too: computed once
    first = grouped.cte("first_level").prefix_with("MATERIALIZED") if classes else grouped.subquery("first_level")
    ordered = _keys_in_order(keys, first, other)
    row_key_columns = [first.c[f"row_key_{i}"] for i in range(len(row_keys))]
    second = first if not (by_organization or enrolled.class_join) else (
        _dimensions(
            enrolled,
            by_organization,
            first,
            select(
                *ordered,
                first.c.who,
                func.sum(first.c.rows).label("rows"),
                *(func.sum(first.c[f"sum_{index}"]).label(f"sum_{index}") for index, _ in row_flags),
                *(func.max(first.c[f"max_{index}"]).label(f"max_{index}") for index, _ in row_flags),
                *(func.sum(case((flag, first.c.rows), else_=0)).label(f"sum_{index}") for index, flag in other_flags),
                *(func.max(case((flag, 1), else_=0)).label(f"max_{index}") for index, flag in other_flags),
            ),
        )
        .group_by(*(key for _, key in other), *row_key_columns, first.c.who)
        .subquery("second_level")
    )
    # without joined attributes the first level is the second: its keys are all row keys, in order
    key_names = [f"key_{index}" if second is not first else f"row_key_{index}" for index in range(len(keys))]
    alone = second.c.who.is_(None)
    students = select(
        *(second.c[name].label(f"key_{index}") for index, name in enumerate(key_names)),
        func.sum(case((alone, second.c.rows), else_=1)).label("students"),
        *(
            func.sum(case((alone, second.c[f"sum_{index}"]), else_=second.c[f"max_{index}"])).label(f"count_{index}")
            for index in range(len(flags))
        ),
    ).group_by(*(second.c[name] for name in key_names))
    if not classes:
        return students
    per_class = (
        _dimensions(enrolled, by_organization, first, select(*ordered, first.c.class_group_id))
        .where(first.c.class_group_id.is_not(None))
        .group_by(*(key for _, key in other), *row_key_columns, first.c.class_group_id)
        .subquery("per_class")
    )
    zero = literal(0, Integer)
    counted = select(
        *(per_class.c[f"key_{index}"] for index in range(len(keys))),
        zero.label("students"),
        *(zero.label(f"count_{index}") for index in range(len(flags))),
        func.count().label("classes"),
    ).group_by(*(per_class.c[f"key_{index}"] for index in range(len(keys))))
    both = union_all(students.add_columns(zero.label("classes")), counted).subquery("both_parts")
    final_keys = [both.c[f"key_{index}"] for index in range(len(keys))]
    totals = ("students", *(f"count_{index}" for index in range(len(flags))), "classes")
    return select(*final_keys, *(func.sum(both.c[name]).label(name) for name in totals)).group_by(*final_keys)


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
