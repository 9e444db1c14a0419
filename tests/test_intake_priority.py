"""Provider priority and field provenance (one row per record and provider), table-driven, through the
real pipeline on every backend."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.engine import make_engine, make_session_factory
from db.models import FieldProvenance, LoadJournal, LoadRowError, Packet, Person, ProviderPriority
from kontingent_ws.usecases.intake.priority import PriorityRules, Provenance, field_names, field_writer, merge_fields
from tests.intakekit import World, load, make_world, packet_xml, settings_for, snils, student

A, B, C = "+7 900 000-00-01", "+7 900 000-00-02", "+7 900 000-00-03"


@dataclass(frozen=True, kw_only=True)
class Case:
    name: str
    ranks: tuple[str, ...]
    """Providers of the school, highest first (absent ones rank below all listed)."""
    writes: tuple[tuple[str, str], ...]
    """(provider, phone) sent for the same student, in order."""
    phone: str
    """The phone the registry keeps."""
    owner: str
    """The provider the phone's provenance names."""
    warned: bool
    """Whether the last load carries the PRIORITY_KEPT warning."""


CASES = [
    Case(name="higher-kept", ranks=("netschool", "dnevnik"), writes=(("netschool", A), ("dnevnik", B)), phone=A,
         owner="netschool", warned=True),
    Case(name="higher-overwrites", ranks=("netschool", "dnevnik"), writes=(("dnevnik", B), ("netschool", A)),
         phone=A, owner="netschool", warned=False),
    Case(name="no-ranking-last-wins", ranks=(), writes=(("netschool", A), ("dnevnik", B)), phone=B, owner="dnevnik",
         warned=False),
    Case(name="unranked-below-ranked", ranks=("netschool",), writes=(("netschool", A), ("dnevnik", B)), phone=A,
         owner="netschool", warned=True),
    Case(name="ranked-over-unranked", ranks=("dnevnik",), writes=(("netschool", A), ("dnevnik", B)), phone=B,
         owner="dnevnik", warned=False),
    Case(name="own-value-rewritten", ranks=("dnevnik", "netschool"), writes=(("netschool", A), ("netschool", C)),
         phone=C, owner="netschool", warned=False),
    Case(name="same-value-is-no-conflict", ranks=("netschool", "dnevnik"), writes=(("netschool", A), ("dnevnik", A)),
         phone=A, owner="netschool", warned=False),
]


@pytest.fixture
def world(db_url: str) -> Iterator[tuple[Session, World]]:
    engine = make_engine(db_url)
    with make_session_factory(engine)() as session:
        yield session, make_world(session)
    engine.dispose()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_provider_priority(case: Case, world: tuple[Session, World], db_url: str, tmp_path: Path) -> None:
    session, w = world
    providers = {"netschool": w.netschool, "dnevnik": w.dnevnik}
    session.add_all(
        ProviderPriority(organization_id=w.region.north_school_id, system_id=providers[m].system_id, rank=rank)
        for rank, m in enumerate(case.ranks, start=1)
    )
    session.commit()
    settings = settings_for(db_url, tmp_path)
    for n, (mnemonic, phone) in enumerate(case.writes):
        rows = {"Students": [student("s1", "Носов", "Иван", "2013-01-01", snils_value=snils(7), phone=phone)]}
        load(session, settings, providers[mnemonic], packet_xml(f"{case.name}-{n}", rows, provider=mnemonic))

    person = session.scalars(select(Person).where(Person.snils == snils(7))).one()
    owner = field_writer(session, "person", person.id, "phone")
    last_packet = session.scalars(select(Packet.id).order_by(Packet.id.desc())).first()
    warnings = session.execute(
        select(LoadRowError.code, LoadRowError.field, LoadRowError.message, LoadRowError.severity)
        .join(LoadJournal, LoadJournal.id == LoadRowError.journal_id)
        .where(LoadJournal.packet_id == last_packet)
    ).all()
    assert person.phone == case.phone
    assert owner is not None and owner.system_id == providers[case.owner].system_id
    if case.warned:
        assert [(code, field, severity) for code, field, _, severity in warnings] == [
            ("PRIORITY_KEPT", "phone", "warning")
        ]
        assert warnings[0][2] == (
            f"Значение «Телефон» не изменено: его передал поставщик «ИС {case.owner}» с более высоким приоритетом"
        )
    else:
        assert warnings == []


@pytest.mark.parametrize(
    ("ranks", "writer", "previous", "allowed"),
    [
        ({1: 1, 2: 2}, 2, 1, False),
        ({1: 1, 2: 2}, 1, 2, True),
        ({1: 1}, 2, 1, False),
        ({2: 1}, 2, 1, True),
        ({}, 2, 1, True),
        ({1: 1, 2: 2}, 2, 2, True),
        ({1: 1, 2: 2}, 2, None, True),
    ],
)
def test_may_overwrite(ranks: dict[int, int], writer: int, previous: int | None, allowed: bool) -> None:
    assert PriorityRules(ranks=ranks, names={}).may_overwrite(writer, previous) is allowed


# --- provenance rows: one per record and provider, with the fields it wrote last -------------------

NAMED = "birth_date citizenship_code first_name last_name sex snils"
"""The person fields every write below sends (the phone apart)."""


@dataclass(frozen=True, kw_only=True)
class ProvenanceCase:
    name: str
    ranks: tuple[str, ...]
    writes: tuple[tuple[str, str | None], ...]
    """(provider, phone or none) sent for the same student, in order."""
    rows: set[tuple[str, str, int]]
    """The person's provenance rows: (provider, fields, index of the packet in ``writes``)."""


PROVENANCE_CASES = [
    ProvenanceCase(name="created", ranks=(), writes=(("netschool", A),), rows={("netschool", f"{NAMED} phone", 0)}),
    ProvenanceCase(name="field-left-to-previous", ranks=(), writes=(("netschool", A), ("dnevnik", None)),
         rows={("netschool", "phone", 0), ("dnevnik", NAMED, 1)}),
    ProvenanceCase(name="every-field-taken-over", ranks=(), writes=(("netschool", A), ("dnevnik", B)),
         rows={("dnevnik", f"{NAMED} phone", 1)}),
    ProvenanceCase(name="higher-keeps-all", ranks=("netschool", "dnevnik"), writes=(("netschool", A), ("dnevnik", B)),
         rows={("netschool", f"{NAMED} phone", 0)}),
    ProvenanceCase(name="own-row-rewritten", ranks=(), writes=(("netschool", A), ("netschool", B)),
         rows={("netschool", f"{NAMED} phone", 1)}),
    ProvenanceCase(name="own-row-unchanged", ranks=(), writes=(("netschool", A), ("netschool", A)),
         rows={("netschool", f"{NAMED} phone", 0)}),
    ProvenanceCase(name="own-row-gains-field", ranks=(), writes=(("netschool", None), ("netschool", A)),
         rows={("netschool", f"{NAMED} phone", 1)}),
]


@pytest.mark.parametrize("case", PROVENANCE_CASES, ids=lambda c: c.name)
def test_provenance_rows(case: ProvenanceCase, world: tuple[Session, World], db_url: str, tmp_path: Path) -> None:
    session, w = world
    providers = {"netschool": w.netschool, "dnevnik": w.dnevnik}
    names = {p.system_id: m for m, p in providers.items()}
    session.add_all(
        ProviderPriority(organization_id=w.region.north_school_id, system_id=providers[m].system_id, rank=rank)
        for rank, m in enumerate(case.ranks, start=1)
    )
    session.commit()
    settings = settings_for(db_url, tmp_path)
    packets = []
    for n, (mnemonic, phone) in enumerate(case.writes):
        rows = {"Students": [student("s1", "Носов", "Иван", "2013-01-01", snils_value=snils(7), phone=phone)]}
        load(session, settings, providers[mnemonic], packet_xml(f"{case.name}-{n}", rows, provider=mnemonic))
        packets.append(session.scalars(select(Packet.id).order_by(Packet.id.desc())).first())

    person = session.scalars(select(Person).where(Person.snils == snils(7))).one()
    stored = session.scalars(
        select(FieldProvenance).where(FieldProvenance.entity == "person", FieldProvenance.entity_id == person.id)
    ).all()
    assert {(names[row.system_id], row.field_names, packets.index(row.packet_id)) for row in stored} == {
        (provider, frozenset(fields.split()), packet) for provider, fields, packet in case.rows
    }
    assert all(row.fields == " ".join(sorted(row.field_names)) for row in stored)
    phone_rows = [row for row in case.rows if "phone" in row[1].split()]
    owner = field_writer(session, "person", person.id, "phone")
    if phone_rows:
        assert owner is not None and names[owner.system_id] == phone_rows[0][0]
    else:
        assert owner is None


# -- the merge and the fields column, against their plain definitions on generated inputs --

_NAMES = ("phone", "email", "sex", "snils", "last_name")
_SYSTEMS = st.sampled_from([1, 2, 3, 4])


def _plain_merge(rules: PriorityRules, writers: dict[tuple[str, int, str], int], *, entity: str, entity_id: int,
                 current: dict[str, object], incoming: dict[str, object],
                 writer: int) -> tuple[dict[str, object], list[str], list[int], list[str]]:
    """``merge_fields`` as first written: every field asks ``may_overwrite``."""
    changes, kept, kept_by, touched = {}, [], [], []
    for name, value in incoming.items():
        previous = writers.get((entity, entity_id, name))
        if not rules.may_overwrite(writer, previous):
            if current.get(name) != value:
                kept.append(name)
                kept_by.append(previous or 0)
            continue
        if current.get(name) != value:
            changes[name] = value
            touched.append(name)
        elif previous != writer:
            touched.append(name)
    return changes, kept, kept_by, touched


@settings(max_examples=300, deadline=None)
@given(
    ranks=st.dictionaries(_SYSTEMS, st.integers(1, 3), max_size=4),
    owners=st.dictionaries(st.sampled_from(_NAMES), _SYSTEMS, max_size=5),
    others=st.booleans(),
    current=st.dictionaries(st.sampled_from(_NAMES), st.sampled_from(["a", "b", None]), max_size=5),
    incoming=st.dictionaries(st.sampled_from(_NAMES), st.sampled_from(["a", "b", None]), max_size=5),
    writer=_SYSTEMS,
    recorded=st.sets(st.sampled_from(_NAMES), max_size=2),
)
def test_merge_fields_equals_its_plain_definition(
    ranks: dict[int, int], owners: dict[str, int], others: bool, current: dict[str, object],
    incoming: dict[str, object], writer: int, recorded: set[str],
) -> None:
    rules = PriorityRules(ranks=ranks, names={})
    provenance = Provenance()
    provenance.writers.update({("person", 7, name): system for name, system in owners.items()})
    if others:  # another record's provenance loaded in the same slice
        provenance.writers[("person", 8, "phone")] = 1
    provenance.record("person", 7, recorded)
    merge = merge_fields(rules, provenance, entity="person", entity_id=7, current=current, incoming=incoming,
                         writer=writer)
    changes, kept, kept_by, touched = _plain_merge(rules, provenance.writers, entity="person", entity_id=7,
                                                   current=current, incoming=incoming, writer=writer)
    assert (merge.changes, list(merge.kept), list(merge.kept_by)) == (changes, kept, kept_by)
    assert provenance.written[("person", 7)] == recorded | set(touched)


@pytest.mark.parametrize(
    "fields", [set(), {"phone"}, {"sex", "phone", "email"}, frozenset({"snils", "inn"}), ["phone", "email", "phone"],
               ("b", "a"), {"name": 1, "email": 2}]
)
def test_field_names_sorted_and_space_separated(fields: Iterable[str]) -> None:
    for _ in range(2):  # the second time from the cache
        assert field_names(fields) == " ".join(sorted(fields))


_MAYBE_TEXT = st.one_of(st.none(), st.text(alphabet="абвгд eё-", min_size=1, max_size=60))


@settings(max_examples=300, deadline=None)
@given(
    middle=_MAYBE_TEXT, sex=st.sampled_from([None, "1", "2"]), citizenship=st.sampled_from([None, "1", "2"]),
    snils=st.sampled_from([None, "11223344595"]), inn=st.sampled_from([None, "500100732259"]),
    phones=st.lists(st.sampled_from(["+7 900 000-00-00", "8" * 60, "1"]), max_size=2),  # one longer than 50
    emails=st.lists(st.sampled_from(["a@b.c", "a" * 205 + "@b.c"]), max_size=2),  # one longer than 200
)
def test_a_new_persons_row_is_its_record_fields_with_the_defaults(
    middle: str | None, sex: str | None, citizenship: str | None, snils: str | None, inn: str | None,
    phones: list[str], emails: list[str],
) -> None:
    """``write_people`` makes a new person's row and provenance straight from the record: the same values
    and field names as ``person_fields`` with ``CREATE_DEFAULTS``, which merges of matched persons use."""
    import datetime as dt

    from adapters.records import ContactsRecord, PersonRecord
    from kontingent_ws.usecases.intake import apply_people
    from kontingent_ws.usecases.intake.matching import NameKey

    person = PersonRecord(last_name="Ёжикова", first_name="Анна", middle_name=middle, sex=sex,
                          birth_date=dt.date(2012, 5, 1), citizenship=citizenship, snils=snils, inn=inn,
                          contacts=ContactsRecord(phones=tuple(phones), emails=tuple(emails)))
    key = NameKey.of(person)
    assert key is not None
    row = apply_people._created_row(5, person, key)
    fields = apply_people.person_fields(person)
    created = {**apply_people.CREATE_DEFAULTS, **fields}
    assert row == (5, *(created.get(name) for name in apply_people.PERSON_FIELDS), key.last, key.first,
                   key.middle or None)
    assert apply_people._given_fields(row, citizenship is not None) == set(fields)
