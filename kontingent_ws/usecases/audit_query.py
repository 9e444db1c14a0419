"""Reading the audit log (system administrators only): who did what, with whose personal data, when."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, func, select, true

from db.dates import as_utc
from db.models import AuditEvent
from kontingent_ws.call import CallContext
from kontingent_ws.errors import ValidationError
from kontingent_ws.security import audit
from kontingent_ws.security.permissions import READ_AUDIT, require
from kontingent_ws.security.scope import caller_of
from kontingent_ws.usecases.listing import PageOf, check_paging, day_bounds

ACTIONS = (audit.READ, audit.WRITE, audit.AUTH_FAILURE, audit.ACCESS_DENIED, audit.ADMIN)


@dataclass(frozen=True, kw_only=True)
class AuditEventView:
    """One event of the audit log."""

    id: int
    occurred_at: dt.datetime
    actor: str | None
    """Login of the person or mnemonic of the system (or what a failed login claimed)."""
    user_id: int | None
    system_id: int | None
    client_address: str | None
    contract: str | None
    operation: str
    action: str
    subject_person_id: int | None
    object_type: str | None
    object_id: str | None
    details: str | None
    request_id: str | None


def query_audit(
    call: CallContext,
    *,
    date_from: dt.date | None,
    date_to: dt.date | None,
    login: str | None,
    action: str | None,
    subject_person_id: int | None,
    page: int,
    page_size: int,
) -> PageOf[AuditEventView]:
    """Audit events matching every given criterion, newest first."""
    require(caller_of(call), READ_AUDIT)
    paging = check_paging(page, page_size, limit=call.settings.page_size_limit)
    start, end = day_bounds(date_from, date_to)
    if action is not None and action not in ACTIONS:
        raise ValidationError(f"Неизвестное действие «{action}»; допустимы: {', '.join(ACTIONS)}", field="Action")
    conditions = []
    if start is not None:
        conditions.append(AuditEvent.occurred_at >= start)
    if end is not None:
        conditions.append(AuditEvent.occurred_at < end)
    if login:
        conditions.append(AuditEvent.actor == login.strip())
    if action is not None:
        conditions.append(AuditEvent.action == action)
    if subject_person_id is not None:
        conditions.append(AuditEvent.subject_person_id == subject_person_id)
    where = and_(true(), *conditions)
    total = call.session.scalar(select(func.count()).select_from(AuditEvent).where(where)) or 0
    events = call.session.scalars(
        select(AuditEvent)
        .where(where)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .offset(paging.offset)
        .limit(paging.limit)
    )
    return PageOf(
        items=[
            AuditEventView(
                id=event.id,
                occurred_at=as_utc(event.occurred_at),
                actor=event.actor,
                user_id=event.user_id,
                system_id=event.system_id,
                client_address=event.client_address,
                contract=event.contract,
                operation=event.operation,
                action=event.action,
                subject_person_id=event.subject_person_id,
                object_type=event.object_type,
                object_id=event.object_id,
                details=event.details,
                request_id=event.request_id,
            )
            for event in events
        ],
        total=total,
    )
