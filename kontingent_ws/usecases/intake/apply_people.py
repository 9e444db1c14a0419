"""Persons, students and legal representatives: matched, merged under priority, written in bulk.

New persons get ids from the sequence in one round trip and go in by COPY with their documents
and provenance; matched persons are merged field by field (a field owned by a higher-ranked
provider is kept and reported as a warning) and updated with one ``executemany`` per shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, select, tuple_

from adapters.records import PersonRecord, StudentRecord, direct_init
from db.models import IdentityDocument, LegalRepresentative, Person, Student
from db.names import normalize_name
from kontingent_ws.usecases.changefeed import record_change
from kontingent_ws.usecases.changefeed_model import STUDENT, UPSERT
from kontingent_ws.usecases.intake.bulk import allocate_ids, copy_rows, is_postgres, rows_by_id, update_rows
from kontingent_ws.usecases.intake.context import ApplyContext
from kontingent_ws.usecases.intake.late import CURRENT_STATE, take_late, write_late
from kontingent_ws.usecases.intake.matching import AMBIGUOUS, LookedUp, NameKey, PendingCandidates, match_people
from kontingent_ws.usecases.intake.priority import merge_fields
from kontingent_ws.usecases.intake.rowcodes import intake_error

PERSON = "person"
PERSON_FIELDS = ("last_name", "first_name", "middle_name", "sex", "birth_date", "citizenship_code", "snils", "inn",
                 "phone", "email")
PERSON_COLUMNS = ("id", *PERSON_FIELDS, "last_name_norm", "first_name_norm", "middle_name_norm")
STUDENT_FIELDS = ("health_group_code", "has_special_needs")
DOCUMENT_COLUMNS = ("person_id", "doc_type_code", "series", "number", "issued_on", "issued_by", "is_primary")
FIELD_NAMES = {
    "last_name": "Фамилия", "first_name": "Имя", "middle_name": "Отчество", "sex": "Пол",
    "birth_date": "Дата рождения", "citizenship_code": "Гражданство", "snils": "СНИЛС", "inn": "ИНН",
    "phone": "Телефон", "email": "Электронная почта", "health_group_code": "Группа здоровья",
    "has_special_needs": "ОВЗ", "exit_date": "Дата выбытия", "exit_reason_code": "Основание выбытия",
    "class_group_id": "Класс (группа)", "education_level_code": "Уровень образования",
    "education_form_code": "Форма обучения", "programme_kind_code": "Вид программы",
}
"""Russian names of the merged fields, for warnings."""
CREATE_DEFAULTS = {"citizenship_code": "1"}
"""What a new person gets for a field its record leaves out (as ``Person``'s own defaults)."""
NORMS = {"last_name": "last_name_norm", "first_name": "first_name_norm", "middle_name": "middle_name_norm"}


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


@direct_init
@dataclass(frozen=True, kw_only=True, slots=True)
class PersonItem:
    """A person record and the row it came from (a student's own row for a representative)."""

    person: PersonRecord
    section: str
    row: int
    ref: str | None
    field: str
    """Where in the row the person is (``""`` for the student, ``Representative`` …)."""
    optional: bool = False
    """A representative: a problem leaves it out with a warning instead of refusing the row."""


def person_fields(person: PersonRecord) -> dict[str, Any]:
    """The fields a record gives (a missing value is not an erasure)."""
    values = {
        "last_name": person.last_name,
        "first_name": person.first_name,
        "middle_name": person.middle_name,
        "sex": person.sex,
        "birth_date": person.birth_date,
        "citizenship_code": person.citizenship,
        "snils": person.snils,
        "inn": person.inn,
        "phone": _phone(person),
        "email": _email(person),
    }
    return {name: value for name, value in values.items() if value is not None}


def _phone(person: PersonRecord) -> str | None:
    """The person's phone as stored: the first one, cut to the column's length."""
    return person.contacts.phones[0][:50] if person.contacts.phones else None


def _email(person: PersonRecord) -> str | None:
    """The person's e-mail as stored: the first one, cut to the column's length."""
    return person.contacts.emails[0][:200] if person.contacts.emails else None


def _created_row(person_id: int, person: PersonRecord, key: NameKey) -> tuple[Any, ...]:
    """A new person's row (``PERSON_COLUMNS``): ``person_fields`` with ``CREATE_DEFAULTS``, then the
    normalised names."""
    return (person_id, person.last_name, person.first_name, person.middle_name, person.sex, person.birth_date,
            CREATE_DEFAULTS["citizenship_code"] if person.citizenship is None else person.citizenship,
            person.snils, person.inn, _phone(person), _email(person), key.last, key.first, key.middle or None)


_CITIZENSHIP = PERSON_FIELDS.index("citizenship_code")
_FIELDS_GIVEN: dict[tuple[bool, ...], frozenset[str]] = {}
"""Which of ``PERSON_FIELDS`` a new person's row has a value of → those names (a few shapes a load)."""


def _given_fields(row: tuple[Any, ...], citizenship: bool) -> frozenset[str]:
    """The ``PERSON_FIELDS`` a new person's record gives (``person_fields``), from its row; ``citizenship``:
    whether the record gives it (the row has the default otherwise)."""
    shape = tuple(value is not None for value in row[1 : 1 + len(PERSON_FIELDS)])
    if not citizenship:
        shape = (*shape[:_CITIZENSHIP], False, *shape[_CITIZENSHIP + 1 :])
    names = _FIELDS_GIVEN.get(shape)
    if names is None:
        given = zip(PERSON_FIELDS, shape, strict=True)
        names = _FIELDS_GIVEN[shape] = frozenset(name for name, present in given if present)
    return names


def warn_kept(ctx: ApplyContext, item_section: str, row: int, ref: str | None, field_prefix: str,
              kept: Sequence[str], owners: Sequence[int], current: dict[str, Any]) -> None:
    """One warning per field a higher-ranked provider keeps."""
    for name, owner in zip(kept, owners, strict=True):
        ctx.warn(
            intake_error(
                "PRIORITY_KEPT", section=item_section, row=row, ref=ref, field=f"{field_prefix}{name}",
                value=None if current.get(name) is None else str(current[name]),
                field_name=FIELD_NAMES.get(name, name), provider=ctx.rules.names.get(owner, str(owner)),
            )
        )


def _refuse_match(
    ctx: ApplyContext, item: PersonItem, code: str, candidates: tuple[int, ...], known: str | None
) -> None:
    params: dict[str, object] = (
        {"candidates": len(candidates)} if code == AMBIGUOUS else {"known": known or ""}
    )
    error = intake_error(
        code, section=item.section, row=item.row, ref=item.ref, field=item.field or "Snils",
        value=item.person.snils or f"{item.person.last_name} {item.person.first_name}", **params,
    )
    (ctx.warn if item.optional else ctx.refuse)(error)


def _identity(person: PersonRecord, key: NameKey | None) -> tuple[object, ...] | None:
    """Who a new person is within a slice (two items of one human become one person); ``key`` is
    ``NameKey.of(person)``."""
    if person.snils:
        return ("snils", person.snils)
    return None if key is None else ("name", key, person.sex)


@dataclass(kw_only=True)
class PeoplePlan:
    """What ``plan_people`` decided for a list of person items, to be written by ``write_people``."""

    result: list[int | None]
    """The person id of every item; ``None`` when refused or left out."""
    created: list[tuple[int, int, NameKey]] = field(default_factory=list)
    """(new person id, index of the item it is made of, that item's name key)."""
    identities: dict[tuple[object, ...], int] = field(default_factory=dict)
    """Identity (``_identity``) → id of each new person."""
    updates: dict[int, dict[str, Any]] = field(default_factory=dict)
    """Matched person id → the fields the merge changes."""
    documents: list[tuple[Any, ...]] = field(default_factory=list)
    """New identity documents of matched persons (``DOCUMENT_COLUMNS``)."""


def upsert_people(ctx: ApplyContext, items: Sequence[PersonItem]) -> list[int | None]:
    """The person id of every item: matched and merged, or created; ``None`` when refused."""
    plan = plan_people(ctx, items)
    write_people(ctx, items, plan)
    return plan.result


def plan_people(
    ctx: ApplyContext,
    items: Sequence[PersonItem],
    *,
    planned: PeoplePlan | None = None,
    looked_up: LookedUp | None = None,
) -> PeoplePlan:
    """Match every item and decide what to write, reading but writing nothing (``write_people`` writes).

    ``planned``: the plan of items matched just before these and not written yet; an item that is
    nobody registered is that plan's new person when it has the same identity (СНИЛС, or name,
    birth date and sex) – a representative who is a student of the same slice. ``looked_up``: the
    registered persons these items may be, found ahead (``prefetch_students``).
    """
    people = [item.person for item in items]
    if looked_up is None:
        keys = [NameKey.of(person) for person in people]
        matches = match_people(ctx.session, people, keys)
    else:
        keys = [looked_up.keys[id(person)] for person in people]
        matches = match_people(ctx.session, people, keys, looked_up.candidates.result())
    plan = PeoplePlan(result=[None] * len(items))
    new: dict[tuple[object, ...], list[int]] = {}
    existing: list[tuple[int, int]] = []
    earlier = planned.identities if planned is not None else {}
    for index, (item, match) in enumerate(zip(items, matches, strict=True)):
        identity = _identity(item.person, keys[index])
        if match.error is not None:
            _refuse_match(ctx, item, match.error, match.candidates, match.known_snils)
        elif match.person_id is not None:
            existing.append((index, match.person_id))
            plan.result[index] = match.person_id
        elif identity is not None and identity in earlier:
            plan.result[index] = earlier[identity]
        elif item.person.birth_date is None or item.person.sex is None:
            code = "PERSON_INCOMPLETE" if item.optional else "PERSON_UNREGISTERED"
            (ctx.warn if item.optional else ctx.refuse)(
                intake_error(code, section=item.section, row=item.row, ref=item.ref, field=item.field,
                             value=f"{item.person.last_name} {item.person.first_name}")
            )
        else:
            assert identity is not None  # birth date known
            new.setdefault(identity, []).append(index)
    for person_id, (identity, indexes) in zip(
        allocate_ids(ctx.session, _table(Person), len(new)), new.items(), strict=True
    ):
        key = keys[indexes[0]]
        assert key is not None  # birth date known
        plan.created.append((person_id, indexes[0], key))
        plan.identities[identity] = person_id
        for index in indexes:
            plan.result[index] = person_id
        ctx.new_people.add(person_id)
    _plan_merge(ctx, items, existing, plan)
    return plan


def write_people(ctx: ApplyContext, items: Sequence[PersonItem], plan: PeoplePlan) -> None:
    """Write what ``plan_people`` decided: new persons with their documents, merged fields, new documents."""
    rows: list[tuple[Any, ...]] = []
    documents: list[tuple[Any, ...]] = []
    record = ctx.provenance.record
    for person_id, index, key in plan.created:
        person = items[index].person
        row = _created_row(person_id, person, key)
        rows.append(row)
        if person.documents:
            documents.extend(
                (person_id, d.type, d.series, d.number, d.issue_date, d.issuer, position == 0)
                for position, d in enumerate(person.documents)
            )
        # the fields the record gives (``person_fields``): those of the row it has a value for
        record(PERSON, person_id, _given_fields(row, person.citizenship is not None))
    copy_rows(ctx.session, _table(Person), PERSON_COLUMNS, rows)
    copy_rows(ctx.session, _table(IdentityDocument), DOCUMENT_COLUMNS, [*documents, *plan.documents])
    update_by_key(ctx, Person, plan.updates)


def _plan_merge(ctx: ApplyContext, items: Sequence[PersonItem], existing: list[tuple[int, int]],
                plan: PeoplePlan) -> None:
    if not existing:
        return
    ids = sorted({person_id for _, person_id in existing})
    currents = {
        row[0]: dict(zip(PERSON_FIELDS, row[1:], strict=True))
        for row in rows_by_id(ctx.session, _table(Person), PERSON_FIELDS, ids)
    }
    ctx.provenance.load(ctx.session, PERSON, ids)
    updates = plan.updates
    for index, person_id in existing:
        item = items[index]
        current = currents[person_id]
        merge = merge_fields(
            ctx.rules, ctx.provenance, entity=PERSON, entity_id=person_id, current=current,
            incoming=person_fields(item.person), writer=ctx.system_id,
        )
        warn_kept(ctx, item.section, item.row, item.ref, f"{item.field}/" if item.field else "", merge.kept,
                  merge.kept_by, current)
        if merge.changes:
            changes = updates.setdefault(person_id, {})
            changes.update(merge.changes)
            for name, norm in NORMS.items():
                if name in merge.changes:
                    changes[norm] = normalize_name(merge.changes[name]) or None
            current.update(merge.changes)
    plan.documents.extend(_new_documents(ctx, items, existing))


def update_by_key(
    ctx: ApplyContext, model: Any, updates: dict[Any, dict[str, Any]], key: tuple[str, ...] = ("id",)
) -> None:
    """One UPDATE per set of changed columns (``bulk.update_rows``); ``updates`` by the row's id, or by
    the tuple of its values of ``key`` (its primary key) when that is not the id alone."""
    shapes: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
    alone = len(key) == 1
    for found_by, changes in updates.items():
        shape = tuple(sorted(changes))
        shapes.setdefault(shape, []).append(
            ((found_by,) if alone else found_by) + tuple(changes[name] for name in shape)
        )
    for shape, rows in shapes.items():
        update_rows(ctx.session, _table(model), shape, rows, key)


def _new_documents(
    ctx: ApplyContext, items: Sequence[PersonItem], existing: list[tuple[int, int]]
) -> list[tuple[Any, ...]]:
    """The documents of matched persons the registry does not have yet (``DOCUMENT_COLUMNS``)."""
    wanted = {
        (person_id, d.type, d.series, d.number): d
        for index, person_id in existing
        for d in items[index].person.documents
    }
    if not wanted:
        return []
    known = set(
        ctx.session.execute(
            select(IdentityDocument.person_id, IdentityDocument.doc_type_code, IdentityDocument.series,
                   IdentityDocument.number).where(
                tuple_(IdentityDocument.person_id, IdentityDocument.doc_type_code, IdentityDocument.number).in_(
                    sorted({(key[0], key[1], key[3]) for key in wanted})
                )
            )
        ).tuples()
    )
    return [(key[0], d.type, d.series, d.number, d.issue_date, d.issuer, False)
            for key, d in wanted.items() if key not in known]


def student_fields(record: StudentRecord) -> dict[str, Any]:
    if record.health is None:
        return {}
    values = {"health_group_code": record.health.health_group, "has_special_needs": record.health.ovz}
    return {name: value for name, value in values.items() if value is not None}


def prefetch_students(ctx: ApplyContext, records: Sequence[StudentRecord]) -> None:
    """On PostgreSQL, ask for the persons the next slice of students may be before it is written:
    the lookups go after the writes queued so far and run while the slice after is mapped
    (``apply_chunks`` reads one slice ahead). The students' persons and their representatives are
    looked up together – the representatives' lookup saw no more of the slice's writes either."""
    if not is_postgres(ctx.session):
        return
    people = [record.person for record in records]
    people.extend(representative.person for record in records for representative in record.representatives)
    keys = [NameKey.of(person) for person in people]
    ctx.looked_up = LookedUp(records=records, keys={id(person): key for person, key in zip(people, keys, strict=True)},
                             candidates=PendingCandidates(ctx.session, people, keys))


def apply_students(ctx: ApplyContext, records: Sequence[StudentRecord]) -> None:
    """Match, merge or create each student's person, then its student row and representatives.

    Everything is read and decided first – the students, then their representatives (who may be
    persons the same slice creates) – and written after: on PostgreSQL the slice's reads wait once
    for the writes still queued from the slice before (``copy_pipe``) – or were asked for ahead
    (``prefetch_students``) – and its own writes run while the next slice is mapped.
    """
    late = take_late(ctx, hold=True)  # the slice before: written once this slice's reads are done
    looked_up, ctx.looked_up = ctx.looked_up, None
    if looked_up is not None and looked_up.records is not records:
        looked_up = None
    items = [PersonItem(person=r.person, section="Students", row=r.row, ref=r.ref, field="") for r in records]
    plan = plan_people(ctx, items, looked_up=looked_up)
    accepted = [(r, pid) for r, pid in zip(records, plan.result, strict=True) if pid is not None]
    ids = sorted({pid for _, pid in accepted if pid not in ctx.new_people})
    students = {
        row[0]: dict(zip(STUDENT_FIELDS, row[1:], strict=True))
        for row in rows_by_id(ctx.session, _table(Student), STUDENT_FIELDS, ids)
    }
    ctx.provenance.load(ctx.session, STUDENT, [pid for pid in ids if pid in students])
    updates: dict[int, dict[str, Any]] = {}
    for record, pid in accepted:
        values = student_fields(record)
        if pid in students:
            current = students[pid]
            merge = merge_fields(ctx.rules, ctx.provenance, entity=STUDENT, entity_id=pid, current=current,
                                 incoming=values, writer=ctx.system_id)
            warn_kept(ctx, "Students", record.row, record.ref, "Health/", merge.kept, merge.kept_by, current)
            if merge.changes:
                updates.setdefault(pid, {}).update(merge.changes)
                current.update(merge.changes)
        elif pid not in ctx.created_students:
            ctx.created_students.add(pid)
            ctx.pending_students[pid] = [pid, bool(values.get("has_special_needs", False)),
                                         values.get("health_group_code"), ctx.system_id, ctx.packet_id,
                                         *([None] * len(CURRENT_STATE))]
            ctx.provenance.record(STUDENT, pid, values)
            ctx.spans.setdefault(pid, [])
        ctx.students[record.ref] = pid
        record_change(ctx.session, STUDENT, pid, UPSERT, org_unit_id=ctx.organization_id)
    rep_items, rep_plan, links = _plan_representatives(ctx, [record for record, _ in accepted], plan, late.links,
                                                       looked_up)
    write_late(ctx, late)
    write_people(ctx, items, plan)
    update_by_key(ctx, Student, updates)
    write_people(ctx, rep_items, rep_plan)
    for link in links:  # written after the students' rows
        ctx.pending_links.setdefault(link[0], []).append(link)
    ctx.applied += len(accepted)


def _plan_representatives(
    ctx: ApplyContext, records: Sequence[StudentRecord], students: PeoplePlan, unwritten: Sequence[tuple[Any, ...]],
    looked_up: LookedUp | None,
) -> tuple[list[PersonItem], PeoplePlan, list[tuple[Any, ...]]]:
    """Match the representatives of accepted students (reads only): their items, their plan and the
    student–representative links to add (``late.REPRESENTATIVE_COLUMNS``); ``unwritten``: links made
    earlier and taken to be written (those still waiting are in ``ApplyContext.pending_links``)."""
    items, owners = [], []
    for record in records:
        for position, representative in enumerate(record.representatives, start=1):
            items.append(PersonItem(person=representative.person, section="Students", row=record.row,
                                    ref=record.ref, field=f"Representative[{position}]/Person", optional=True))
            owners.append((ctx.students[record.ref], representative.kind, position == 1))
    plan = plan_people(ctx, items, planned=students, looked_up=looked_up)
    pairs = {
        (student_id, person_id): (kind, first)
        for (student_id, kind, first), person_id in zip(owners, plan.result, strict=True)
        if person_id is not None and person_id != student_id
    }
    student_ids = sorted({student_id for student_id, _ in pairs})
    known = set(
        ctx.session.execute(
            select(LegalRepresentative.student_id, LegalRepresentative.person_id).where(
                LegalRepresentative.student_id.in_(student_ids)
            )
        ).tuples()
    ) if not all(sid in ctx.new_people for sid in student_ids) else set()
    known.update((link[0], link[1]) for link in unwritten)
    held = ctx.pending_links
    known.update((cast(int, link[0]), cast(int, link[1])) for sid in student_ids for link in held.get(sid, ()))
    return items, plan, [(s, p, kind, first) for (s, p), (kind, first) in pairs.items() if (s, p) not in known]
