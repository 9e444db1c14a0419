"""Identity matching: which registered person a record of a packet is.

- the same СНИЛС is the same person;
- without СНИЛС: the same normalized surname, name and patronymic (case, ё/е and spaces do
  not count), birth date and sex (when the record gives it); two or more such persons → the row
  is refused as ambiguous, never merged by guess;
- a person found by name whose СНИЛС differs from the record's → the row is refused.

Lookups are batched: one query by СНИЛС and one by name for a whole slice of records (on
PostgreSQL one index probe per key, whatever the planner's statistics).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text, tuple_
from sqlalchemy.orm import Session, aliased

from adapters.records import PersonRecord, direct_init
from db.copytext import array_literal
from db.hierarchy import subtree_ids
from db.models import Person, Student
from db.names import normalize_name
from kontingent_ws.usecases.intake.copy_pipe import pipe_of

AMBIGUOUS = "AMBIGUOUS_PERSON"
SNILS_CONFLICT = "SNILS_CONFLICT"
LOOKUP_BATCH = 500
"""Keys per ``IN`` list (SQLite allows at most 32766 parameters per statement)."""


@direct_init
@dataclass(frozen=True, kw_only=True, slots=True)
class NameKey:
    """What identifies a person without СНИЛС."""

    last: str
    first: str
    middle: str
    birth_date: dt.date

    @classmethod
    def of(cls, person: PersonRecord) -> NameKey | None:
        if person.birth_date is None:
            return None
        return cls(
            last=normalize_name(person.last_name),
            first=normalize_name(person.first_name),
            middle=normalize_name(person.middle_name),
            birth_date=person.birth_date,
        )


@direct_init
@dataclass(frozen=True, kw_only=True, slots=True)
class Known:
    """A registered person as matching sees it."""

    id: int
    snils: str | None
    sex: str
    key: NameKey


@direct_init
@dataclass(frozen=True, kw_only=True, slots=True)
class Match:
    """The outcome for one record: a person, nobody (a new person), or a refusal."""

    person_id: int | None = None
    """The matched person; ``None`` with no ``error`` means the record is a new person."""
    error: str | None = None
    """``AMBIGUOUS_PERSON`` or ``SNILS_CONFLICT`` when the record is refused."""
    candidates: tuple[int, ...] = ()
    """Ids of the persons that made the record ambiguous or conflicting."""
    known_snils: str | None = None
    """The registered СНИЛС that conflicts with the record's."""


NEW_PERSON = Match()
"""The match of a record that is nobody registered yet (one value: a ``Match`` never changes)."""


_MIDDLE = func.coalesce(Person.middle_name_norm, "")
_COLUMNS = (Person.id, Person.snils, Person.sex, Person.last_name_norm, Person.first_name_norm, _MIDDLE,
            Person.birth_date)
"""What matching reads of a registered person (columns, not entities: a common name has many)."""


_PERSON_COLUMNS = (
    "p.id, p.snils, p.sex, p.last_name_norm, p.first_name_norm, coalesce(p.middle_name_norm, ''), p.birth_date"
)
_BY_SNILS_POSTGRES = text(
    f"SELECT {_PERSON_COLUMNS} FROM unnest(CAST(:snils AS text[])) AS k(snils) "  # noqa: S608 (constant columns)
    "CROSS JOIN LATERAL (SELECT * FROM person WHERE snils = k.snils AND merged_into_id IS NULL OFFSET 0) AS p"
)
_BY_NAME_POSTGRES = text(
    f"SELECT {_PERSON_COLUMNS} "  # noqa: S608 (constant columns)
    "FROM unnest(CAST(:l AS text[]), CAST(:f AS text[]), CAST(:m AS text[]), CAST(:b AS date[])) AS k(l, f, m, b) "
    "CROSS JOIN LATERAL (SELECT * FROM person WHERE last_name_norm = k.l AND first_name_norm = k.f "
    "AND birth_date = k.b AND coalesce(middle_name_norm, '') = k.m AND merged_into_id IS NULL OFFSET 0) AS p "
    "ORDER BY p.id"
)
"""The same lookups on PostgreSQL, one index probe per key. A large packet grows ``person`` inside
its own transaction, where the planner still sees the table as it was (often empty) and would scan
it whole for an ``IN`` list of hundreds of keys – once per slice, quadratic in the packet. ``OFFSET 0``
keeps the planner from turning the lateral probe back into such a join. Each array travels as one
text parameter (``array_literal``)."""


def _known(row: Sequence[Any]) -> Known:
    pid, snils, sex, last, first, middle, birth = row
    return Known(id=pid, snils=snils, sex=sex, key=NameKey(last=last, first=first, middle=middle, birth_date=birth))


def _chunks(values: Sequence[object], size: int = LOOKUP_BATCH) -> Iterable[Sequence[object]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


Candidates = tuple[dict[str, Known], dict[NameKey, list[Known]]]
"""Registered persons by СНИЛС and by name key, as ``load_candidates`` finds them."""


def _wanted(
    people: Sequence[PersonRecord], name_keys: Sequence[NameKey | None]
) -> tuple[list[str], list[tuple[str, str, str, dt.date]]]:
    """The СНИЛС and the name keys to look up, each once."""
    snils = sorted({p.snils for p in people if p.snils})
    # dates compare as their ISO texts do (the order the keys were once sorted by)
    keys = sorted({(k.last, k.first, k.middle, k.birth_date) for k in name_keys if k is not None})
    return snils, keys


def _collect(by_snils_rows: Iterable[Sequence[Any]], by_name_rows: Iterable[Sequence[Any]]) -> Candidates:
    by_snils: dict[str, Known] = {}
    by_name: dict[NameKey, list[Known]] = {}
    for row in by_snils_rows:
        known = _known(row)
        by_snils[known.snils or ""] = known
    for row in by_name_rows:
        known = _known(row)
        by_name.setdefault(known.key, []).append(known)
    return by_snils, by_name


def _postgres_parameters(
    snils: Sequence[str], keys: Sequence[tuple[str, str, str, dt.date]]
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The parameters of ``_BY_SNILS_POSTGRES`` and ``_BY_NAME_POSTGRES``, a batch each."""
    return (
        [{"snils": array_literal(batch)} for batch in _chunks(snils)],
        [dict(zip(("l", "f", "m", "b"), (array_literal(column) for column in zip(*batch, strict=True)), strict=True))
         for batch in _chunks(keys)],
    )


def load_candidates(
    session: Session, people: Sequence[PersonRecord], name_keys: Sequence[NameKey | None] | None = None
) -> Candidates:
    """Registered persons sharing a СНИЛС or a name key with any of ``people`` (two queries per batch);
    ``name_keys``: ``NameKey.of`` each of ``people``, when the caller has them already."""
    if name_keys is None:
        name_keys = [NameKey.of(p) for p in people]
    snils, keys = _wanted(people, name_keys)
    if session.get_bind().dialect.name == "postgresql":
        by_snils, by_name = _postgres_parameters(snils, keys)
        return _collect(
            (row for parameters in by_snils for row in session.execute(_BY_SNILS_POSTGRES, parameters)),
            (row for parameters in by_name for row in session.execute(_BY_NAME_POSTGRES, parameters)),
        )
    live = Person.merged_into_id.is_(None)
    return _collect(
        (row for batch in _chunks(snils) for row in session.execute(select(*_COLUMNS).where(
            Person.snils.in_(batch), live))),
        # the whole key (the patronymic too) in SQL: persons sharing only a common name and birth date stay out
        (row for batch in _chunks(keys) for row in session.execute(select(*_COLUMNS).where(
            tuple_(Person.last_name_norm, Person.first_name_norm, _MIDDLE, Person.birth_date).in_(batch), live
        ).order_by(Person.id))),
    )


_LOOKUPS = "SELECT … FROM person (identity matching by СНИЛС and by name)"
"""How an error of the lookups asked ahead names its statement."""


class PendingCandidates:
    """``load_candidates`` asked of PostgreSQL ahead: queued on the connection's write pipe
    (``copy_pipe``) after the writes queued so far, so it sees them, and read on the pipe's thread
    while the loader maps the next slice; ``result`` waits for it if it is not done."""

    def __init__(self, session: Session, people: Sequence[PersonRecord], name_keys: Sequence[NameKey | None]):
        by_snils, by_name = _postgres_parameters(*_wanted(people, name_keys))
        dialect = session.get_bind().dialect
        snils_sql = str(_BY_SNILS_POSTGRES.compile(dialect=dialect))
        name_sql = str(_BY_NAME_POSTGRES.compile(dialect=dialect))

        def read(cursor: Any) -> Candidates:
            def rows(sql: str, batches: list[dict[str, str]]) -> Iterable[Sequence[Any]]:
                for parameters in batches:
                    cursor.execute(sql, parameters)
                    yield from cursor.fetchall()

            return _collect(rows(snils_sql, by_snils), rows(name_sql, by_name))

        self.pipe = pipe_of(session)
        self.future = self.pipe.submit_read(read, _LOOKUPS)

    def result(self) -> Candidates:
        return self.pipe.result(self.future, _LOOKUPS)


@dataclass(frozen=True, slots=True)
class LookedUp:
    """The registered persons a slice's person records may be, asked for ahead (``PendingCandidates``)."""

    records: Sequence[object]
    """The slice's records (the list itself: the lookups are for this slice only)."""
    keys: dict[int, NameKey | None]
    """``id()`` of each person record looked up → its name key."""
    candidates: PendingCandidates


def match_person(person: PersonRecord, by_snils: dict[str, Known], by_name: dict[NameKey, list[Known]]) -> Match:
    """Apply the matching rules to one record given the candidates of its batch."""
    if person.snils and person.snils in by_snils:
        return Match(person_id=by_snils[person.snils].id)
    return _match_by_name(person, NameKey.of(person), by_name)


def _match_by_name(person: PersonRecord, key: NameKey | None, by_name: dict[NameKey, list[Known]]) -> Match:
    """``match_person`` for a record not found by СНИЛС, its name key given."""
    candidates = by_name.get(key, []) if key is not None else []
    if person.sex is not None:
        candidates = [c for c in candidates if c.sex == person.sex]
    if person.snils:
        conflicting = [c for c in candidates if c.snils and c.snils != person.snils]
        if conflicting:
            return Match(
                error=SNILS_CONFLICT,
                candidates=tuple(c.id for c in conflicting),
                known_snils=conflicting[0].snils,
            )
        candidates = [c for c in candidates if not c.snils]
    if len(candidates) > 1:
        return Match(error=AMBIGUOUS, candidates=tuple(c.id for c in candidates))
    if candidates:
        return Match(person_id=candidates[0].id)
    return NEW_PERSON


def match_people(
    session: Session,
    people: Sequence[PersonRecord],
    name_keys: Sequence[NameKey | None] | None = None,
    candidates: Candidates | None = None,
) -> list[Match]:
    """The match of every record, in order (new persons are not created here); ``name_keys`` as
    ``load_candidates`` takes them; ``candidates``: found already for these records (and maybe others)."""
    if name_keys is None:
        name_keys = [NameKey.of(p) for p in people]
    by_snils, by_name = candidates if candidates is not None else load_candidates(session, people, name_keys)
    matches = []
    for person, key in zip(people, name_keys, strict=True):
        snils = person.snils
        if snils and snils in by_snils:
            matches.append(Match(person_id=by_snils[snils].id))
        else:
            matches.append(_match_by_name(person, key, by_name))
    return matches


@dataclass(frozen=True, kw_only=True)
class DuplicateGroup:
    """Persons of the registry that may be one human: same normalized name and birth date."""

    last_name: str
    first_name: str
    middle_name: str | None
    birth_date: dt.date
    person_ids: tuple[int, ...]


def find_potential_duplicates(session: Session, scope_unit_id: int | None) -> list[DuplicateGroup]:
    """Groups of two or more distinct persons with the same normalized ФИО and birth date.

    ``scope_unit_id`` limits the report to students whose current organization lies within
    that unit (``None``: the whole region, every person).
    """
    person = aliased(Person)
    middle = func.coalesce(person.middle_name_norm, "")
    keys = (person.last_name_norm, person.first_name_norm, middle, person.birth_date)
    query = select(*keys).where(person.merged_into_id.is_(None))
    if scope_unit_id is not None:
        query = query.join(Student, Student.id == person.id).where(
            Student.current_organization_id.in_(subtree_ids(scope_unit_id))
        )
    groups = session.execute(query.group_by(*keys).having(func.count() > 1).order_by(*keys)).tuples().all()
    result = []
    for last, first, middle_norm, birth in groups:
        members = select(person.id).where(
            person.last_name_norm == last,
            person.first_name_norm == first,
            func.coalesce(person.middle_name_norm, "") == middle_norm,
            person.birth_date == birth,
            person.merged_into_id.is_(None),
        )
        if scope_unit_id is not None:
            members = members.join(Student, Student.id == person.id).where(
                Student.current_organization_id.in_(subtree_ids(scope_unit_id))
            )
        ids = tuple(session.scalars(members.order_by(person.id)))
        result.append(
            DuplicateGroup(
                last_name=last, first_name=first, middle_name=middle_norm or None, birth_date=birth, person_ids=ids
            )
        )
    return result
