"""Writing the load journal: one entry per packet or file, with its row errors and warnings.

(Reading it is ``kontingent_ws.usecases.journal``.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from adapters.rowerrors import RowError
from db.models import LoadJournal, LoadRowError, utcnow
from kontingent_ws.usecases.intake.bulk import copy_rows

SUCCESS, ERROR, PARTIAL = "success", "error", "partial"
ROW_ERROR_COLUMNS = ("journal_id", "section", "row", "code", "field", "value", "message", "severity")


@dataclass(frozen=True, kw_only=True)
class Counts:
    """Rows of one load by outcome."""

    total: int
    applied: int
    rejected: int
    warned: int


def count_rows(applied: int, errors: Sequence[RowError]) -> Counts:
    """Rows rejected (any error) and applied rows with warnings, each row counted once."""
    rejected = {(e.section, e.row) for e in errors if e.severity == "error"}
    warned = {(e.section, e.row) for e in errors if e.severity == "warning"} - rejected
    return Counts(total=applied + len(rejected), applied=applied, rejected=len(rejected), warned=len(warned))


def load_status(counts: Counts) -> str:
    """Успешно when nothing was rejected, Частично when some rows went in, else Ошибка."""
    if counts.rejected == 0:
        return SUCCESS
    return PARTIAL if counts.applied else ERROR


@dataclass(frozen=True, kw_only=True)
class EntryFacts:
    """Who loaded what, about which organization, when."""

    packet_id: int
    system_id: int | None
    user_id: int | None
    organization_id: int | None
    file_name: str | None
    started_at: dt.datetime


def write_entry(
    session: Session,
    facts: EntryFacts,
    *,
    status: str,
    counts: Counts,
    comment: str | None,
    errors: Sequence[RowError] = (),
) -> int:
    """Add the journal entry and its row errors in the session's transaction; return its id."""
    entry = LoadJournal(
        packet_id=facts.packet_id,
        system_id=facts.system_id,
        user_id=facts.user_id,
        organization_id=facts.organization_id,
        file_name=facts.file_name,
        started_at=facts.started_at,
        finished_at=utcnow(),
        status=status,
        rows_total=counts.total,
        rows_applied=counts.applied,
        rows_rejected=counts.rejected,
        rows_warned=counts.warned,
        comment=comment,
    )
    session.add(entry)
    session.flush()
    copy_rows(
        session,
        LoadRowError.__table__,  # type: ignore[arg-type]
        ROW_ERROR_COLUMNS,
        (
            (entry.id, e.section or None, e.row, e.code, e.field[:100], (e.value or None) and e.value[:500],
             e.message, e.severity)
            for e in errors
        ),
    )
    return entry.id
