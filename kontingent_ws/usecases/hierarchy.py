"""Subordination: placing an authority or organization (with its whole subtree) under another unit."""

from __future__ import annotations

from db.hierarchy import HierarchyCycle, move
from db.models import Authority, OrgUnit
from kontingent_ws.call import CallContext
from kontingent_ws.errors import NotFound, ValidationError
from kontingent_ws.security import audit
from kontingent_ws.security.permissions import MANAGE_SUBORDINATION, require
from kontingent_ws.security.scope import caller_of, ensure_unit_visible
from kontingent_ws.usecases.changefeed import record_change


def set_subordination(call: CallContext, *, unit_id: int, new_parent_id: int | None) -> None:
    """Move ``unit_id`` under ``new_parent_id`` (``None``: an authority at the top of the hierarchy).

    An authority may sit only under an authority; an organization under an authority or an
    organization, never at the top. The closure table and the change log are updated in the
    call's transaction.
    """
    require(caller_of(call), MANAGE_SUBORDINATION)
    unit = call.session.get(OrgUnit, unit_id)
    if unit is None:
        raise NotFound(f"Подразделение с идентификатором {unit_id} не найдено", field="UnitId")
    ensure_unit_visible(call, unit_id)
    parent = None
    if new_parent_id is not None:
        parent = call.session.get(OrgUnit, new_parent_id)
        if parent is None:
            raise NotFound(f"Подразделение с идентификатором {new_parent_id} не найдено", field="NewParentId")
        ensure_unit_visible(call, new_parent_id)
    if isinstance(unit, Authority) and parent is not None and not isinstance(parent, Authority):
        raise ValidationError(
            "Орган управления может подчиняться только органу управления", field="NewParentId"
        )
    if not isinstance(unit, Authority) and parent is None:
        raise ValidationError(
            "Образовательная организация должна подчиняться органу управления или другой организации",
            field="NewParentId",
        )
    if unit.parent_id == new_parent_id:
        return
    old_parent_id = unit.parent_id
    try:
        move(call.session, unit_id, new_parent_id)
    except HierarchyCycle as exc:
        raise ValidationError(str(exc), field="NewParentId") from exc
    record_change(call.session, unit.kind, unit_id, "upsert", org_unit_id=unit_id)
    call.session.flush()
    audit.record(
        call,
        audit.ADMIN,
        object_type="org_unit",
        object_id=unit_id,
        details=f"Подчинённость изменена: {old_parent_id or '—'} → {new_parent_id or '—'}",
    )
