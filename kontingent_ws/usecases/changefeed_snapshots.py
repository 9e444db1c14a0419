"""One page of the change feed with the current data of what it names, read in one Core statement.

The page's ``change_log`` rows (a ``LIMIT``ed range scan of the version) are left-joined by key to
the entity each upsert names: a student with its person and its current enrolment (open, primary
first, latest entry; one correlated lookup per student); an enrolment (the same join: a row names
either); an organization or authority with its node row; class names, organization types and
authority levels are correlated lookups. Only the needed columns are selected and turned straight
into the frozen snapshots, so a page of a thousand changes costs one round trip and no ORM entity.
An entity deleted since its upsert has no snapshot (its deletion follows later in the feed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from functools import cache
from typing import Any

from sqlalchemy import Select, and_, bindparam, case, func, select
from sqlalchemy.orm import Session

from db.dates import as_utc
from db.models import Authority, ChangeLog, ClassGroup, Enrolment, Organization, OrgUnit, Person, Student
from kontingent_ws.usecases.changefeed_model import (
    ENROLMENT,
    STUDENT,
    UPSERT,
    Change,
    EnrolmentSnapshot,
    OrgUnitSnapshot,
    Snapshot,
    StudentSnapshot,
)

_ENROLMENT_COLUMNS = (
    "id",
    "student_id",
    "organization_id",
    "class_group_id",
    "education_level_code",
    "programme_kind_code",
    "education_form_code",
    "entry_date",
    "entry_reason_code",
    "exit_date",
    "exit_reason_code",
)
_PERSON_COLUMNS = ("last_name", "first_name", "middle_name", "sex", "birth_date", "snils", "citizenship_code")
_UNIT_COLUMNS = ("id", "kind", "parent_id", "full_name", "short_name", "inn", "kpp", "ogrn", "oktmo", "status_code")
_CHANGE_COLUMNS = ("version", "entity", "entity_id", "operation", "changed_at", "merged_into_id", "org_unit_id")


@dataclass(frozen=True)
class _Group:
    """The columns of one snapshot within the page's row: a slice in the order of its fields."""

    start: int
    stop: int

    def values(self, row: Sequence[Any]) -> Sequence[Any] | None:
        """The snapshot's fields in order, or ``None`` when the left join found no row."""
        part = row[self.start : self.stop]
        return None if part[0] is None else part


def _group(snapshot: type, columns: list[tuple[str, Any]], start: int) -> _Group:
    """The slice of ``columns`` from ``start``; they must be the snapshot's leading fields, in order
    (the snapshots are built positionally: a third of the cost of keywords)."""
    names = [name for name, _ in columns]
    if [f.name for f in fields(snapshot)][: len(names)] != names:
        raise AssertionError(f"the columns {names} are not the leading fields of {snapshot.__name__}")
    return _Group(start, start + len(names))


@dataclass(frozen=True)
class _Page:
    statement: Select[Any]
    student: _Group
    enrolment: _Group
    unit: _Group


@cache
def _page() -> _Page:
    """``change_log`` rows after ``:since`` (``:limit`` of them) joined to their snapshots' columns."""
    table = ChangeLog.__table__
    # the page itself is a subquery with its LIMIT: the planner then expects as many rows as the page
    # holds and looks each snapshot up by key, whatever its statistics say about the (newest) range
    log = (
        select(*(table.c[name] for name in _CHANGE_COLUMNS))
        .where(table.c.version > bindparam("since"))
        .order_by(table.c.version)
        .limit(bindparam("limit"))
        .subquery("page")
    )
    student, person = Student.__table__, Person.__table__
    unit, organization, authority = OrgUnit.__table__, Organization.__table__, Authority.__table__
    enrolment = Enrolment.__table__  # the enrolment a change names, or a changed student's current one
    candidate = Enrolment.__table__.alias("candidate")
    classes = ClassGroup.__table__

    def key_of(entity: str) -> Any:
        """The change's entity id when it is an upsert of ``entity``, else NULL: a NULL key is no
        index probe at all, so each row looks up only the table of its own entity."""
        return case((and_(log.c.entity == entity, log.c.operation == UPSERT), log.c.entity_id))

    current_id = (
        select(candidate.c.id)
        .where(candidate.c.student_id == student.c.id, candidate.c.exit_date.is_(None))
        .order_by(candidate.c.is_primary.desc(), candidate.c.entry_date.desc(), candidate.c.id.desc())
        .limit(1)
        .correlate(student)
        .scalar_subquery()
    )
    joined = (
        log.outerjoin(student, student.c.id == key_of(STUDENT))
        .outerjoin(person, person.c.id == student.c.id)
        .outerjoin(enrolment, enrolment.c.id == func.coalesce(key_of(ENROLMENT), current_id))
        .outerjoin(
            unit,
            and_(
                log.c.operation == UPSERT,
                unit.c.id == log.c.entity_id,
                unit.c.kind == log.c.entity,  # an organization or an authority: the node kinds are those
            ),
        )
    )

    def looked_up(column: Any, key: Any, by: Any) -> Any:
        """``column`` of the row whose ``key`` equals ``by`` (a correlated lookup: planning a page
        grows with every joined table, a scalar lookup adds nothing to it)."""
        return select(column).where(key == by).scalar_subquery()

    groups: list[tuple[type, list[tuple[str, Any]]]] = [
        (Change, [(name, log.c[name]) for name in _CHANGE_COLUMNS]),
        (
            StudentSnapshot,
            [
                ("id", student.c.id),
                *((name, person.c[name]) for name in _PERSON_COLUMNS),
                ("status_code", student.c.status_code),
            ],
        ),
        (
            EnrolmentSnapshot,
            [
                *((name, enrolment.c[name]) for name in _ENROLMENT_COLUMNS[:4]),
                ("class_name", looked_up(classes.c.name, classes.c.id, enrolment.c.class_group_id)),
                *((name, enrolment.c[name]) for name in _ENROLMENT_COLUMNS[4:]),
            ],
        ),
        (
            OrgUnitSnapshot,
            [
                *((name, unit.c[name]) for name in _UNIT_COLUMNS),
                ("type_code", looked_up(organization.c.type_code, organization.c.id, unit.c.id)),
                ("level", looked_up(authority.c.level, authority.c.id, unit.c.id)),
            ],
        ),
    ]
    starts = [sum(len(columns) for _, columns in groups[:i]) for i in range(len(groups))]
    _, student_group, enrolment_group, unit_group = (
        _group(snapshot, columns, start) for (snapshot, columns), start in zip(groups, starts, strict=True)
    )
    statement = (
        select(*(column for _, columns in groups for _, column in columns)).select_from(joined).order_by(log.c.version)
    )
    return _Page(statement, student_group, enrolment_group, unit_group)


def read_page(session: Session, since: int, limit: int) -> list[Change]:
    """The committed changes with ``version > since`` in version order, at most ``limit``, with snapshots."""
    page = _page()
    return [
        Change(row[0], row[1], row[2], row[3], as_utc(row[4]), row[5], row[6], _snapshot(page, row))
        for row in session.execute(page.statement, {"since": since, "limit": limit}).tuples()
    ]


def _snapshot(page: _Page, row: Sequence[Any]) -> Snapshot | None:
    enrolment = page.enrolment.values(row)
    if (student := page.student.values(row)) is not None:  # the enrolment is the student's current one
        make_student: Callable[..., StudentSnapshot] = StudentSnapshot  # the row's fields, then the enrolment
        return make_student(*student, EnrolmentSnapshot(*enrolment) if enrolment is not None else None)
    if enrolment is not None:
        return EnrolmentSnapshot(*enrolment)
    if (unit := page.unit.values(row)) is not None:
        return OrgUnitSnapshot(*unit)
    return None
