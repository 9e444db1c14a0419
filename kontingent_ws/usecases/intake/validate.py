"""Enrolment rules checked against what the registry already holds.

- no two enrolments of one student at one organization overlap in time;
- an enrolment at an organization that starts on the same day as one already there is that
  enrolment (resent), not a new one;
- a new current enrolment elsewhere closes the student's open enrolment at another organization
  as a transfer: exit the day before, reason «Перевод в другую образовательную организацию» – the
  move shows in both organizations' history; an open enrolment elsewhere that starts on or after
  the new entry date is a conflict;
- an exit has a reason (the adapter checks the record; the closing of a transfer sets one).

The decision is a pure function of the student's enrolments, so it is tested without a database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

TRANSFER_EXIT_REASON = "1"
"""«Перевод в другую образовательную организацию» (classifier ``exit_reason``)."""
INSERT, UPDATE, REJECT = "insert", "update", "reject"


@dataclass(frozen=True, kw_only=True, slots=True)
class Span:
    """An enrolment as the rules see it."""

    id: int
    organization_id: int
    entry_date: dt.date
    exit_date: dt.date | None


@dataclass(frozen=True, kw_only=True)
class Closure:
    """An open enrolment at another organization to close as a transfer."""

    enrolment_id: int
    organization_id: int
    exit_date: dt.date


@dataclass(frozen=True, kw_only=True)
class Decision:
    """What to do with one incoming enrolment."""

    action: str
    """``insert``, ``update`` (the same enrolment, resent) or ``reject``."""
    enrolment_id: int | None = None
    """The enrolment to update."""
    closures: tuple[Closure, ...] = ()
    """Transfers out of other organizations."""
    error: str | None = None
    """``ENROLMENT_OVERLAP`` or ``TRANSFER_CONFLICT`` when rejected."""
    other_entry: dt.date | None = None
    """Entry date of the enrolment it conflicts with."""


def _overlaps(a_entry: dt.date, a_exit: dt.date | None, b_entry: dt.date, b_exit: dt.date | None) -> bool:
    return (a_exit is None or b_entry <= a_exit) and (b_exit is None or a_entry <= b_exit)


def decide(
    *, organization_id: int, entry_date: dt.date, exit_date: dt.date | None, existing: Sequence[Span]
) -> Decision:
    """The decision for an incoming enrolment at ``organization_id`` given the student's ``existing`` ones."""
    here = [span for span in existing if span.organization_id == organization_id]
    same = next((span for span in here if span.entry_date == entry_date), None)
    for span in here:
        if span is not same and _overlaps(entry_date, exit_date, span.entry_date, span.exit_date):
            return Decision(action=REJECT, error="ENROLMENT_OVERLAP", other_entry=span.entry_date)
    if same is not None:
        return Decision(action=UPDATE, enrolment_id=same.id)
    if exit_date is not None:
        return Decision(action=INSERT)
    closures = []
    for span in existing:
        if span.organization_id == organization_id or span.exit_date is not None:
            continue
        if span.entry_date >= entry_date:
            return Decision(action=REJECT, error="TRANSFER_CONFLICT", other_entry=span.entry_date)
        closures.append(
            Closure(
                enrolment_id=span.id,
                organization_id=span.organization_id,
                exit_date=entry_date - dt.timedelta(days=1),
            )
        )
    return Decision(action=INSERT, closures=tuple(closures))
