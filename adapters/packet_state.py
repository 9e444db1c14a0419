"""What mapping one packet remembers between rows: the header and the identifiers already seen.

Only the sections other rows point at (and the person-level ones) are tracked, so memory grows with
the number of students, never with the number of marks: a streamed packet of marks stays flat.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from lxml import etree

from adapters.packet_fields import Fields
from adapters.records import BatchHeader
from adapters.rowerrors import RowError
from adapters.validation import RowSink

TRACKED_SECTIONS = frozenset({"ClassGroups", "Subjects", "StudyPeriods", "Students", "Enrolments", "QueueApplications"})
"""Sections whose identifiers are remembered: for references and for duplicate detection."""

R = TypeVar("R")


@dataclass(kw_only=True)
class PacketState:
    """Identifiers accepted and rejected so far, and the students' birth dates."""

    header: BatchHeader
    accepted: dict[str, set[str]] = field(default_factory=dict)
    rejected: dict[str, set[str]] = field(default_factory=dict)
    birth_dates: dict[str, date] = field(default_factory=dict)
    validated: bool = False
    """The rows are being checked against the schema as they are read (a streamed packet): a row
    the schema refuses fails the whole packet, so a reader may rely on the order of elements."""

    @property
    def today(self) -> date:
        """The packet's creation date: no date in it may be later."""
        return self.header.created.date()

    def resolve(self, fields: Fields, local: str, target: str, *, required: bool = True) -> str | None:
        """A reference to a row of ``target``; unknown or rejected rows become row errors."""
        ref = fields.text(local, required=required)
        if ref is None or ref in self.accepted.get(target, ()):
            return ref
        code = "REF_REJECTED" if ref in self.rejected.get(target, ()) else "UNKNOWN_REF"
        fields.sink.fail(code, fields.name(local), ref, target=target)
        return None

    def map_row(
        self,
        section: str,
        element: etree._Element,
        row: int,
        read: Callable[[Fields], R | None],
    ) -> tuple[R | None, list[RowError]]:
        """Map one row with ``read``; a row with any error yields no record, only its errors."""
        ref = element.get("providerRef")
        sink = RowSink(section=section, row=row, ref=ref)
        fields = Fields(element, sink)
        tracked = section in TRACKED_SECTIONS and ref is not None
        if tracked and (ref in self.accepted.get(section, ()) or ref in self.rejected.get(section, ())):
            sink.fail("DUPLICATE_REF", "@providerRef", ref)
        record = read(fields)
        if sink.rejected:
            record = None
        if tracked and ref is not None:
            (self.rejected if record is None else self.accepted).setdefault(section, set()).add(ref)
        return record, sink.errors
