"""What writing one packet remembers: where it goes, who sends it, and the ids its rows got."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass, field, replace

from sqlalchemy.orm import Session

from adapters.rowerrors import RowError, row_error
from kontingent_ws.usecases.intake.mark_runs import MarkRuns, Tail
from kontingent_ws.usecases.intake.matching import LookedUp
from kontingent_ws.usecases.intake.priority import PriorityRules, Provenance
from kontingent_ws.usecases.intake.validate import Span


@dataclass(frozen=True, kw_only=True, slots=True)
class Held(Span):
    """An enrolment of a student of this packet, with what the student's current state needs."""

    class_group_id: int | None
    education_level_code: str | None
    education_form_code: str
    exit_reason_code: str | None


class IdSet:
    """Ids kept as sorted runs of consecutive values.

    A packet's new persons get their ids from a sequence, a slice at a time, so hundreds of
    thousands of them fit in a few hundred runs instead of a hash set of as many integers.
    """

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        """Inclusive end of each run."""

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, int):
            return False
        index = bisect_right(self.starts, value) - 1
        return index >= 0 and value <= self.ends[index]

    def add(self, value: int) -> None:
        if value in self:
            return
        index = bisect_right(self.starts, value)
        left = index > 0 and self.ends[index - 1] == value - 1
        right = index < len(self.starts) and self.starts[index] == value + 1
        if left and right:
            self.ends[index - 1] = self.ends[index]
            del self.starts[index], self.ends[index]
        elif left:
            self.ends[index - 1] = value
        elif right:
            self.starts[index] = value
        else:
            self.starts.insert(index, value)
            self.ends.insert(index, value)


@dataclass(kw_only=True)
class ApplyContext:
    """State of one packet's write: its transaction, its sender and the provider refs resolved."""

    session: Session
    organization_id: int
    system_id: int
    packet_id: int
    now: dt.datetime
    rules: PriorityRules
    provenance: Provenance = field(default_factory=Provenance)
    class_groups: dict[str, int] = field(default_factory=dict)
    subjects: dict[str, int] = field(default_factory=dict)
    subject_bases: dict[str, int | None] = field(default_factory=dict)
    periods: dict[str, int] = field(default_factory=dict)
    students: dict[str, int] = field(default_factory=dict)
    """Student ref → person id."""
    new_people: IdSet = field(default_factory=IdSet)
    """Persons created by this packet (nothing of theirs existed before it)."""
    created_students: IdSet = field(default_factory=IdSet)
    """Student rows created by this packet."""
    spans: dict[int, list[Held]] = field(default_factory=dict)
    """Student id → every enrolment known so far (loaded once, kept up to date)."""
    rejected: dict[str, set[str]] = field(default_factory=dict)
    """Section → refs refused at the database stage."""
    errors: list[RowError] = field(default_factory=list)
    applied: int = 0
    pending: dict[str, dict[tuple[object, ...], tuple[object, ...]]] = field(default_factory=dict)
    """Mark table → new rows not yet written, by key (``apply_marks``: written tens of thousands at a time)."""
    mark_runs: MarkRuns = field(default_factory=MarkRuns)
    """New quarter marks of new students not yet written, as COPY text pieces (``mark_runs``); held only
    while ``pending`` holds no quarter mark."""
    mark_tails: dict[tuple[object, ...], Tail] = field(default_factory=dict)
    """(subject ref, period ref, school year, ``id`` of the mark) → the tail of its rows (``mark_runs.Tail``)."""
    pending_students: dict[int, list[object]] = field(default_factory=dict)
    """Student rows created by this packet and not written yet, so that their enrolments – in the same
    slice of an upload, in a later section of a packet – write their current state into them instead of
    updating them (``late``)."""
    pending_links: dict[int, list[tuple[object, ...]]] = field(default_factory=dict)
    """Student id → its links to its representatives waiting for its row in ``pending_students``
    (``late.REPRESENTATIVE_COLUMNS``)."""
    pending_enrolments: list[tuple[object, ...]] = field(default_factory=list)
    """New enrolments of the last slice (``late.ENROLMENT_COLUMNS``), written with the rows above after
    the next slice's reads (``late.take_late``)."""
    looked_up: LookedUp | None = None
    """The persons the next slice of students may be, asked for ahead (``apply_people.prefetch_students``)."""

    def refuse(self, error: RowError) -> None:
        """Record an error that refuses its row."""
        self.errors.append(error)
        if error.ref is not None and error.severity == "error":
            self.rejected.setdefault(error.section, set()).add(error.ref)

    def warn(self, error: RowError) -> None:
        """Record a problem that does not refuse the row (a representative left out, a kept field)."""
        self.errors.append(replace(error, severity="warning"))

    def student_id(self, *, section: str, row: int, ref: str | None, student_ref: str) -> int | None:
        """The person id of a student ref, or ``None`` with a row error when the student was refused."""
        found = self.students.get(student_ref)
        if found is None:
            self.refuse(
                row_error(
                    "REF_REJECTED", row=row, field="StudentRef", value=student_ref, section=section, ref=ref,
                    target="Students",
                )
            )
        return found
