"""New quarter marks of a packet's new students, held as pieces of COPY text until written.

A packet's quarter marks reach the writer as columns (``adapters.records.PeriodMarkColumns``), and
most of them belong to students the packet creates: nothing stored can match them, every row goes in
by COPY. Made into a row tuple each, keyed in a dict and turned back into columns for their COPY text
(``db.copytext.copy_text``), they cost the loading thread 3.5 µs a mark. Here a mark is its student's
id and a shared ``Tail``: the rest of its row – subject, year, period, mark, the same for thousands
of marks – formatted once; its COPY line is the id's digits joined to the tail's text (a period mark
has no id of its own: its key is its primary key, migration 0012).

The keys held are checked as the dict did: a run of marks with a key held already, or twice in
itself, is not taken (``MarkRuns.add`` says so) and the writer reads it row by row
(``apply_marks._upsert``), after turning what is held into rows (``MarkRuns.rows``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain
from operator import attrgetter
from typing import Any

from db.copytext import copy_line


@dataclass(frozen=True, slots=True, eq=False)
class Tail:
    """What follows the student's id in a quarter mark's row, and its COPY text (``MarkRuns.tail``)."""

    values: tuple[object, ...]
    """The row after the student's id."""
    text: str
    """``values`` in COPY's text format, with the tab before them and the newline after."""
    slot: int
    """A number standing for the rest of the row's key (subject, year, kind, period) among the tails of one
    load: a held mark's key is its student's id and this number, two integers hashed instead of an integer
    and a tuple of four."""
    keep: object = None
    """The object the tail was found by (kept alive: it is looked up by its ``id``)."""


_SLOT, _TEXT = attrgetter("slot"), attrgetter("text")


@dataclass
class MarkRuns:
    """Runs of new quarter marks of new students: each a list of student ids and one of tails."""

    keys: set[tuple[int, int]] = field(default_factory=set)
    """(student id, ``Tail.slot``) of every row held."""
    student_ids: list[list[int]] = field(default_factory=list)
    tails: list[list[Tail]] = field(default_factory=list)
    count: int = 0
    slots: dict[tuple[object, ...], int] = field(default_factory=dict)
    """The rest of a row's key → its ``Tail.slot`` (kept for the whole load, as the tails are)."""

    def tail(self, values: tuple[object, ...], key_width: int, keep: object = None) -> Tail:
        """The tail of rows whose values after the student's id are ``values`` (their first ``key_width`` - 1
        the rest of the row's key)."""
        slot = self.slots.setdefault(values[: key_width - 1], len(self.slots))
        return Tail(values=values, text=copy_line((0, *values))[1:], slot=slot, keep=keep)

    def add(self, student_ids: list[int], tails: list[Tail]) -> bool:
        """Hold a run; ``False`` (nothing held) when one of its keys is held already or twice in it."""
        keys = set(zip(student_ids, map(_SLOT, tails), strict=True))
        if len(keys) < len(student_ids) or not self.keys.isdisjoint(keys):
            return False
        self.keys |= keys
        self.student_ids.append(student_ids)
        self.tails.append(tails)
        self.count += len(student_ids)
        return True

    def text(self) -> str:
        """Every row held, in COPY's text format."""
        texts = map(_TEXT, chain.from_iterable(self.tails))
        return "".join(map("{}{}".format, chain.from_iterable(self.student_ids), texts))

    def rows(self) -> list[tuple[Any, ...]]:
        """Every row held, as a tuple."""
        return [(sid, *tail.values) for ids, tails in zip(self.student_ids, self.tails, strict=True)
                for sid, tail in zip(ids, tails, strict=True)]

    def clear(self) -> None:
        """Forget the rows held (the slots stay: the tails they were given are kept)."""
        self.keys, self.student_ids, self.tails, self.count = set(), [], [], 0
