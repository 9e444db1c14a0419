"""Provider priority and field provenance.

Each organization ranks its providers (``provider_priority``, rank 1 highest). Every field of a
person, student or enrolment remembers who wrote it last (``field_provenance``: one row per record
and system with the fields it wrote last, the packet and the time). A field last written by a
higher-ranked provider is not overwritten by a lower-ranked one; a provider missing from the list
ranks below every listed one. Provenance is loaded for a whole
slice of entities at once and written back in bulk.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from sqlalchemy import delete, select, text, tuple_
from sqlalchemy.orm import Session

from db.copytext import array_literal
from db.models import FieldProvenance, InfoSystem, ProviderPriority
from kontingent_ws.usecases.intake.bulk import copy_rows

PROVENANCE_COLUMNS = ("entity", "entity_id", "system_id", "fields", "packet_id", "written_at")
LOOKUP_BATCH = 500
_LOAD_POSTGRES = text(
    "SELECT k.id, p.system_id, p.fields, p.packet_id, p.written_at FROM unnest(CAST(:ids AS bigint[])) AS k(id) "
    "CROSS JOIN LATERAL (SELECT * FROM field_provenance WHERE entity = :entity AND entity_id = k.id OFFSET 0) AS p"
)
"""``Provenance.load`` on PostgreSQL: one index probe per id. A large packet's own rows make the
table grow inside its transaction, where the planner still sees it as it was (often empty) and
would scan it whole for an ``IN`` list of hundreds of ids once per slice (as ``matching`` explains)."""


@dataclass(frozen=True, kw_only=True)
class PriorityRules:
    """An organization's provider ranking, as the merge consults it."""

    ranks: Mapping[int, int]
    """System id → rank (1 highest)."""
    names: Mapping[int, str]
    """System id → the provider's name, for warnings."""

    def may_overwrite(self, writer: int, previous: int | None) -> bool:
        """Whether ``writer`` may replace a value last written by ``previous``."""
        if previous is None or previous == writer:
            return True
        previous_rank = self.ranks.get(previous)
        if previous_rank is None:
            return True
        writer_rank = self.ranks.get(writer)
        return writer_rank is not None and writer_rank <= previous_rank


def load_rules(session: Session, organization_id: int) -> PriorityRules:
    """The ranking of ``organization_id`` with the names of every provider system."""
    ranks = dict(
        session.execute(
            select(ProviderPriority.system_id, ProviderPriority.rank).where(
                ProviderPriority.organization_id == organization_id
            )
        ).tuples().all()
    )
    names = dict(
        session.execute(select(InfoSystem.id, InfoSystem.name).where(InfoSystem.is_provider)).tuples().all()
    )
    return PriorityRules(ranks=ranks, names=names)


Key = tuple[str, int, str]
"""(entity, entity id, field)."""
Entity = tuple[str, int]
"""(entity, entity id)."""


@dataclass(frozen=True, slots=True)
class StoredRow:
    """A provider's provenance row of one record, as loaded."""

    fields: frozenset[str]
    packet_id: int | None
    written_at: dt.datetime


_FIELD_NAMES: dict[frozenset[str], str] = {}
"""A set of field names → its ``fields`` text (a load writes the same few sets again and again)."""
_FIELD_NAMES_MAX = 4096


def field_names(fields: Iterable[str]) -> str:
    """The ``fields`` column: the names sorted, separated by a space."""
    if not isinstance(fields, set | frozenset):
        return " ".join(sorted(fields))
    key = fields if isinstance(fields, frozenset) else frozenset(fields)
    text = _FIELD_NAMES.get(key)
    if text is None:
        text = " ".join(sorted(key))
        if len(_FIELD_NAMES) < _FIELD_NAMES_MAX:
            _FIELD_NAMES[key] = text
    return text


def field_writer(session: Session, entity: str, entity_id: int, name: str) -> FieldProvenance | None:
    """The provenance row naming field ``name`` of the record (its system, packet and time), if any."""
    rows = session.scalars(
        select(FieldProvenance).where(FieldProvenance.entity == entity, FieldProvenance.entity_id == entity_id)
    )
    return next((row for row in rows if name in row.field_names), None)


_NO_ROWS: Mapping[int, StoredRow] = MappingProxyType({})


@dataclass(kw_only=True)
class Provenance:
    """Who wrote which field: loaded for a slice of records, changed by the merge, then saved.

    Stored as one row per record and provider with the fields that provider wrote last
    (``FieldProvenance``); a record created by the packet gets one row, whatever its fields.
    """

    writers: dict[Key, int] = field(default_factory=dict)
    """Loaded: (entity, id, field) → the system that wrote it last."""
    stored: dict[Entity, dict[int, StoredRow]] = field(default_factory=dict)
    """Loaded: (entity, id) → system → its row."""
    written: dict[Entity, set[str]] = field(default_factory=dict)
    """Fields written by this packet since the last save (new or replaced), per record."""

    def load(self, session: Session, entity: str, ids: Iterable[int]) -> None:
        """Add the provenance of every field of ``entity`` rows ``ids`` (one query per batch)."""
        wanted = sorted(set(ids))
        if not wanted:
            return
        postgres = session.get_bind().dialect.name == "postgresql"
        size = len(wanted) if postgres else LOOKUP_BATCH
        for start in range(0, len(wanted), size):
            batch = wanted[start : start + size]
            rows = session.execute(
                _LOAD_POSTGRES, {"ids": array_literal(batch), "entity": entity}
            ) if postgres else session.execute(
                select(FieldProvenance.entity_id, FieldProvenance.system_id, FieldProvenance.fields,
                       FieldProvenance.packet_id, FieldProvenance.written_at).where(
                    FieldProvenance.entity == entity, FieldProvenance.entity_id.in_(batch)
                )
            )
            for entity_id, system_id, fields, packet_id, written_at in rows:
                names = frozenset(fields.split())
                self.stored.setdefault((entity, entity_id), {})[system_id] = StoredRow(
                    fields=names, packet_id=packet_id, written_at=written_at
                )
                for name in names:
                    self.writers[(entity, entity_id, name)] = system_id

    def record(self, entity: str, entity_id: int, names: Iterable[str]) -> None:
        """Remember that this packet wrote ``names`` of the entity."""
        key = (entity, entity_id)
        written = self.written.get(key)
        if written is None:
            self.written[key] = set(names)
        else:
            written.update(names)

    def save(self, session: Session, *, system_id: int, packet_id: int, now: dt.datetime) -> None:
        """Write the provenance of every recorded field and forget everything, so memory does not
        grow with the packet.

        The writer's row of a record gets the fields written (with those it already had) and this
        packet and time; the fields leave any other provider's row, which goes when it names no
        field any more. Rows that change are deleted and written again.
        """
        replaced: list[tuple[str, int, int]] = []
        rows: list[tuple[Any, ...]] = []
        for (entity, entity_id), names in self.written.items():
            if not names:
                continue
            stored = self.stored.get((entity, entity_id), _NO_ROWS)
            own = stored.get(system_id)
            if own is not None:
                replaced.append((entity, entity_id, system_id))
                names = names | own.fields
            rows.append((entity, entity_id, system_id, field_names(names), packet_id, now))
            for other, row in stored.items():
                if other != system_id and not row.fields.isdisjoint(names):
                    replaced.append((entity, entity_id, other))
                    if row.fields - names:
                        rows.append((entity, entity_id, other, field_names(row.fields - names), row.packet_id,
                                     row.written_at))
        for start in range(0, len(replaced), LOOKUP_BATCH):
            batch = replaced[start : start + LOOKUP_BATCH]
            session.execute(
                delete(FieldProvenance).where(
                    tuple_(FieldProvenance.entity, FieldProvenance.entity_id, FieldProvenance.system_id).in_(batch)
                )
            )
        copy_rows(session, FieldProvenance.__table__, PROVENANCE_COLUMNS, rows)  # type: ignore[arg-type]
        self.writers.clear()  # reloaded from the database for the entities a later slice touches
        self.stored.clear()
        self.written.clear()


@dataclass(frozen=True, kw_only=True)
class Merge:
    """What the merge of one entity decided."""

    changes: dict[str, Any]
    """Fields to write with their new values."""
    kept: tuple[str, ...]
    """Fields left alone because a higher-ranked provider wrote them (each a warning)."""
    kept_by: tuple[int, ...]
    """The system that owns each kept field, in the same order."""


def merge_fields(
    rules: PriorityRules,
    provenance: Provenance,
    *,
    entity: str,
    entity_id: int,
    current: Mapping[str, Any],
    incoming: Mapping[str, Any],
    writer: int,
) -> Merge:
    """The fields of ``incoming`` that differ from ``current`` and ``writer`` may overwrite.

    A field equal to the current value is not a change, but the writer still becomes its
    provenance when it may overwrite (it confirmed the value).
    """
    changes: dict[str, Any] = {}
    kept: list[str] = []
    kept_by: list[int] = []
    touched: list[str] = []
    writers = provenance.writers
    for name, value in incoming.items():
        previous = writers.get((entity, entity_id, name)) if writers else None
        if previous is not None and previous != writer and not rules.may_overwrite(writer, previous):
            if current.get(name) != value:
                kept.append(name)
                kept_by.append(previous or 0)
            continue
        if current.get(name) != value:
            changes[name] = value
            touched.append(name)
        elif previous != writer:
            touched.append(name)
    provenance.record(entity, entity_id, touched)
    return Merge(changes=changes, kept=tuple(kept), kept_by=tuple(kept_by))
