"""The load journal: what happened to every packet and Excel file, and the row errors of each load.

A person sees the entries of organizations within its scope (a system administrator: all); a
provider system sees the entries of its own loads.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import cast

from sqlalchemy import ColumnElement, and_, func, select, true
from sqlalchemy.orm import aliased

from db.dates import as_utc
from db.hierarchy import subtree_ids
from db.models import AppUser, InfoSystem, LoadJournal, LoadRowError, OrgUnit
from kontingent_ws.call import CallContext
from kontingent_ws.errors import NotFound, ValidationError
from kontingent_ws.security.permissions import READ_LOAD_JOURNAL, require
from kontingent_ws.security.scope import caller_of, deny, ensure_unit_visible, scope_filter
from kontingent_ws.usecases.listing import PageOf, check_paging, day_bounds

STATUS_NAMES = {"success": "Успешно", "error": "Ошибка", "partial": "Частично"}
"""Load statuses and their Russian names."""


@dataclass(frozen=True, kw_only=True)
class JournalEntry:
    """One load as the journal shows it."""

    id: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    provider: str
    """Mnemonic of the provider system, or the login of the person who loaded a file."""
    provider_name: str | None
    """Name of the provider system, or the full name of the person."""
    organization_id: int | None
    organization_name: str | None
    file_name: str | None
    status: str
    status_name: str
    rows_total: int
    rows_applied: int
    rows_rejected: int
    rows_warned: int
    comment: str | None


@dataclass(frozen=True, kw_only=True)
class RowErrorView:
    """A row-level error or warning of a load."""

    section: str | None
    row: int | None
    code: str
    field: str | None
    value: str | None
    message: str
    severity: str


def get_load_journal(
    call: CallContext,
    *,
    date_from: dt.date | None,
    date_to: dt.date | None,
    system_mnemonic: str | None,
    status: str | None,
    organization_id: int | None,
    page: int,
    page_size: int,
) -> PageOf[JournalEntry]:
    """Journal entries visible to the caller, newest first, filtered by the given criteria."""
    require(caller_of(call), READ_LOAD_JOURNAL)
    paging = check_paging(page, page_size, limit=call.settings.page_size_limit)
    start, end = day_bounds(date_from, date_to)
    if status is not None and status not in STATUS_NAMES:
        raise ValidationError(
            f"Неизвестный статус загрузки «{status}»; допустимы: {', '.join(STATUS_NAMES)}", field="Status"
        )
    conditions = [_visible(call)]
    if organization_id is not None:
        if call.session.get(OrgUnit, organization_id) is None:
            raise NotFound(f"Подразделение с идентификатором {organization_id} не найдено", field="OrganizationId")
        if caller_of(call).user:
            ensure_unit_visible(call, organization_id, object_type="load_journal")
        conditions.append(LoadJournal.organization_id.in_(subtree_ids(organization_id)))
    if start is not None:
        conditions.append(LoadJournal.started_at >= start)
    if end is not None:
        conditions.append(LoadJournal.started_at < end)
    if status is not None:
        conditions.append(LoadJournal.status == status)
    if system_mnemonic:
        conditions.append(
            LoadJournal.system_id.in_(select(InfoSystem.id).where(InfoSystem.mnemonic == system_mnemonic.strip()))
        )
    where = and_(*conditions)
    total = call.session.scalar(select(func.count()).select_from(LoadJournal).where(where)) or 0
    unit = aliased(OrgUnit)
    rows = call.session.execute(
        select(LoadJournal, InfoSystem.mnemonic, InfoSystem.name, AppUser.login, AppUser.full_name, unit.short_name)
        .outerjoin(InfoSystem, InfoSystem.id == LoadJournal.system_id)
        .outerjoin(AppUser, AppUser.id == LoadJournal.user_id)
        .outerjoin(unit, unit.id == LoadJournal.organization_id)
        .where(where)
        .order_by(LoadJournal.started_at.desc(), LoadJournal.id.desc())
        .offset(paging.offset)
        .limit(paging.limit)
    ).tuples()
    entries = [
        JournalEntry(
            id=entry.id,
            started_at=as_utc(entry.started_at),
            finished_at=as_utc(entry.finished_at) if entry.finished_at else None,
            provider=mnemonic or login or "—",
            provider_name=system_name or user_name,
            organization_id=entry.organization_id,
            organization_name=unit_name,
            file_name=entry.file_name,
            status=entry.status,
            status_name=STATUS_NAMES.get(entry.status, entry.status),
            rows_total=entry.rows_total,
            rows_applied=entry.rows_applied,
            rows_rejected=entry.rows_rejected,
            rows_warned=entry.rows_warned,
            comment=entry.comment,
        )
        for entry, mnemonic, system_name, login, user_name, unit_name in rows
    ]
    return PageOf(items=entries, total=total)


def get_load_errors(call: CallContext, *, journal_id: int, page: int, page_size: int) -> PageOf[RowErrorView]:
    """Row errors and warnings of one load, in the order they were found."""
    require(caller_of(call), READ_LOAD_JOURNAL)
    paging = check_paging(page, page_size, limit=call.settings.page_size_limit)
    entry = call.session.get(LoadJournal, journal_id)
    if entry is None:
        raise NotFound(f"Запись журнала загрузок с идентификатором {journal_id} не найдена", field="JournalId")
    visible = call.session.scalar(select(LoadJournal.id).where(LoadJournal.id == journal_id, _visible(call)))
    if visible is None:
        raise deny(call, object_type="load_journal", object_id=journal_id)
    where = LoadRowError.journal_id == journal_id
    total = call.session.scalar(select(func.count()).select_from(LoadRowError).where(where)) or 0
    errors = call.session.scalars(
        select(LoadRowError).where(where).order_by(LoadRowError.id).offset(paging.offset).limit(paging.limit)
    )
    return PageOf(
        items=[
            RowErrorView(
                section=error.section,
                row=error.row,
                code=error.code,
                field=error.field,
                value=error.value,
                message=error.message,
                severity=error.severity,
            )
            for error in errors
        ],
        total=total,
    )


def _visible(call: CallContext) -> ColumnElement[bool]:
    """Entries the caller may read: a system its own loads, a person its scope's organizations."""
    caller = caller_of(call)
    if caller.kind == "system":
        return LoadJournal.system_id == caller.system_id
    if caller.sees_region:
        return true()
    return scope_filter(call, cast(ColumnElement[int], LoadJournal.organization_id))  # nullable column
