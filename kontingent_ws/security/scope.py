"""Scopes: a caller sees its own unit and everything below it (a system administrator: the region).

Every check is one primary-key lookup in the closure table, or none at all when the unit is among
those read with the account at authentication (``Caller.units_in_scope``; only ever a "yes": a unit
not found there is looked up in the call's transaction). A refusal is audited in its own
transaction and raised as ``Client.AccessDenied``.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, bindparam, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from db.hierarchy import subtree_ids
from db.models import OrgUnitClosure
from kontingent_ws.call import CallContext
from kontingent_ws.errors import AccessDenied
from kontingent_ws.security import audit
from kontingent_ws.security.accounts import fetch_one, psycopg2_connection
from kontingent_ws.security.caller import Caller

OUT_OF_SCOPE = "Доступ запрещён: объект находится вне зоны ответственности пользователя"


_WITHIN = select(OrgUnitClosure.depth).where(
    OrgUnitClosure.ancestor_id == bindparam("ancestor"), OrgUnitClosure.descendant_id == bindparam("unit")
)
_WITHIN_SQL = "SELECT 1 FROM org_unit_closure WHERE ancestor_id = %(ancestor)s AND descendant_id = %(unit)s"


def within(session: Session, ancestor_id: int, unit_id: int) -> bool:
    """Whether ``unit_id`` is ``ancestor_id`` or lies below it: one primary-key probe of the closure,
    in the call's transaction (on psycopg2 straight through the driver, skipping the ORM's work)."""
    if session.autoflush:
        session.flush()  # what the ORM would flush before a query; nothing when the session is clean
    raw = psycopg2_connection(session)
    if raw is None:
        return session.execute(_WITHIN, {"ancestor": ancestor_id, "unit": unit_id}).first() is not None
    return fetch_one(session, raw, _WITHIN_SQL, {"ancestor": ancestor_id, "unit": unit_id}) is not None


def known_visible(caller: Caller, unit_id: int, kind: str) -> bool:
    """Whether authentication already found ``unit_id`` to be an existing unit of ``kind``
    (``organization`` or ``authority``) within the caller's scope: then neither its kind nor the
    scope needs a query. False means only "ask the database"."""
    if kind == "organization":
        return unit_id in caller.organizations_in_scope
    return unit_id in caller.units_in_scope and unit_id not in caller.organizations_in_scope


def caller_of(call: CallContext) -> Caller:
    """The authenticated caller of a call (authentication is on for every contract)."""
    if isinstance(call.caller, Caller):
        return call.caller
    # Authentication switched off (benchmarks only): act as a region-wide reader.
    return Caller(kind="user", role="system_admin", name="anonymous-benchmark")


def deny(
    call: CallContext, *, object_type: str, object_id: str | int | None, message: str = OUT_OF_SCOPE
) -> AccessDenied:
    """Audit a refused access (in its own transaction) and return the error to raise."""
    audit.record_detached(call, audit.ACCESS_DENIED, object_type=object_type, object_id=object_id, details=message)
    error = AccessDenied(message)
    error.audited = True
    return error


def ensure_unit_visible(call: CallContext, unit_id: int, *, object_type: str = "org_unit") -> None:
    """Refuse unless ``unit_id`` lies within the caller's scope."""
    caller = caller_of(call)
    if caller.sees_region:
        return
    if caller.unit_id is None:
        raise deny(call, object_type=object_type, object_id=unit_id)
    if unit_id not in caller.units_in_scope and not within(call.session, caller.unit_id, unit_id):
        raise deny(call, object_type=object_type, object_id=unit_id)


def ensure_unit_writable(call: CallContext, unit_id: int, *, object_type: str = "org_unit") -> None:
    """Refuse unless the caller may change ``unit_id`` (a provider: its write scopes)."""
    caller = caller_of(call)
    if caller.kind == "system":
        if not any(within(call.session, root, unit_id) for root in caller.write_unit_ids):
            raise deny(
                call,
                object_type=object_type,
                object_id=unit_id,
                message="Поставщику данных не разрешено изменять сведения этой организации",
            )
        return
    ensure_unit_visible(call, unit_id, object_type=object_type)


def scope_filter(call: CallContext, column: InstrumentedAttribute[int] | ColumnElement[int]) -> ColumnElement[bool]:
    """A WHERE clause restricting ``column`` (an org_unit id) to the caller's scope."""
    caller = caller_of(call)
    if caller.sees_region:
        return true()
    if caller.unit_id is None:
        raise deny(call, object_type="org_unit", object_id=None)
    return column.in_(subtree_ids(caller.unit_id))
