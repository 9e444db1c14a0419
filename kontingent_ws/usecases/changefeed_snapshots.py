"""Current data of the entities a change-feed page names, loaded in one query per entity kind.

A student's snapshot carries the person and the current enrolment (open, primary first, latest
entry); an enrolment, an organization and an authority carry their own rows. An entity deleted
since its upsert has no snapshot (its deletion follows later in the feed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Authority, ClassGroup, Enrolment, Organization, Student
from kontingent_ws.usecases.changefeed_model import EnrolmentSnapshot, OrgUnitSnapshot, Snapshot, StudentSnapshot


def load_snapshots(session: Session, wanted: Mapping[str, Iterable[int]]) -> dict[tuple[str, int], Snapshot]:
    """Snapshots keyed by ``(entity, id)`` for the ids wanted per entity kind."""
    found: dict[tuple[str, int], Snapshot] = {}
    if ids := list(wanted.get("student", ())):
        found.update((("student", s.id), s) for s in _students(session, ids))
    if ids := list(wanted.get("enrolment", ())):
        enrolments = list(session.scalars(select(Enrolment).where(Enrolment.id.in_(ids))))
        names = _class_names(session, enrolments)
        found.update((("enrolment", e.id), _enrolment(e, names)) for e in enrolments)
    if ids := list(wanted.get("organization", ())):
        for org in session.scalars(select(Organization).where(Organization.id.in_(ids))):
            found["organization", org.id] = _unit(org, type_code=org.type_code, level=None)
    if ids := list(wanted.get("authority", ())):
        for authority in session.scalars(select(Authority).where(Authority.id.in_(ids))):
            found["authority", authority.id] = _unit(authority, type_code=None, level=authority.level)
    return found


def _students(session: Session, ids: list[int]) -> list[StudentSnapshot]:
    students = list(session.scalars(select(Student).where(Student.id.in_(ids))))
    open_enrolments = list(
        session.scalars(
            select(Enrolment)
            .where(Enrolment.student_id.in_(ids), Enrolment.exit_date.is_(None))
            .order_by(
                Enrolment.student_id, Enrolment.is_primary.desc(), Enrolment.entry_date.desc(), Enrolment.id.desc()
            )
        )
    )
    current: dict[int, Enrolment] = {}
    for open_enrolment in open_enrolments:
        current.setdefault(open_enrolment.student_id, open_enrolment)
    names = _class_names(session, current.values())
    snapshots = []
    for student in students:
        person = student.person
        enrolment = current.get(student.id)
        snapshots.append(
            StudentSnapshot(
                id=student.id,
                last_name=person.last_name,
                first_name=person.first_name,
                middle_name=person.middle_name,
                sex=person.sex,
                birth_date=person.birth_date,
                snils=person.snils,
                citizenship_code=person.citizenship_code,
                status_code=student.status_code,
                current_enrolment=_enrolment(enrolment, names) if enrolment is not None else None,
            )
        )
    return snapshots


def _class_names(session: Session, enrolments: Iterable[Enrolment]) -> dict[int, str]:
    ids = {e.class_group_id for e in enrolments if e.class_group_id is not None}
    if not ids:
        return {}
    rows = session.execute(select(ClassGroup.id, ClassGroup.name).where(ClassGroup.id.in_(ids)))
    return {row.id: row.name for row in rows}


def _enrolment(enrolment: Enrolment, class_names: Mapping[int, str]) -> EnrolmentSnapshot:
    return EnrolmentSnapshot(
        id=enrolment.id,
        student_id=enrolment.student_id,
        organization_id=enrolment.organization_id,
        class_group_id=enrolment.class_group_id,
        class_name=class_names.get(enrolment.class_group_id) if enrolment.class_group_id is not None else None,
        education_level_code=enrolment.education_level_code,
        programme_kind_code=enrolment.programme_kind_code,
        education_form_code=enrolment.education_form_code,
        entry_date=enrolment.entry_date,
        entry_reason_code=enrolment.entry_reason_code,
        exit_date=enrolment.exit_date,
        exit_reason_code=enrolment.exit_reason_code,
    )


def _unit(unit: Organization | Authority, *, type_code: str | None, level: str | None) -> OrgUnitSnapshot:
    return OrgUnitSnapshot(
        id=unit.id,
        kind=unit.kind,
        parent_id=unit.parent_id,
        full_name=unit.full_name,
        short_name=unit.short_name,
        inn=unit.inn,
        kpp=unit.kpp,
        ogrn=unit.ogrn,
        oktmo=unit.oktmo,
        status_code=unit.status_code,
        type_code=type_code,
        level=level,
    )
