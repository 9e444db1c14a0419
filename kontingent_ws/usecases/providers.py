"""Provider priority per organization: whose data wins when several systems send the same facts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select

from db.models import InfoSystem, Organization, ProviderPriority
from kontingent_ws.call import CallContext
from kontingent_ws.errors import NotFound, ValidationError
from kontingent_ws.security import audit
from kontingent_ws.security.permissions import MANAGE_PROVIDER_PRIORITY, VIEW_REGISTRIES, require
from kontingent_ws.security.scope import caller_of, ensure_unit_visible


@dataclass(frozen=True, kw_only=True)
class RankedProvider:
    """One provider in an organization's priority list."""

    rank: int
    """1 wins over 2, and so on."""
    system_id: int
    mnemonic: str
    name: str
    is_active: bool


def set_provider_priority(call: CallContext, *, organization_id: int, system_ids: Sequence[int]) -> None:
    """Replace the organization's priority list by ``system_ids`` (first = highest priority)."""
    require(caller_of(call), MANAGE_PROVIDER_PRIORITY)
    _organization(call, organization_id)
    if len(set(system_ids)) != len(system_ids):
        raise ValidationError("Системы в списке приоритетов повторяются", field="SystemIds")
    systems = {
        system.id: system
        for system in call.session.scalars(select(InfoSystem).where(InfoSystem.id.in_(system_ids)))
    } if system_ids else {}
    for system_id in system_ids:
        system = systems.get(system_id)
        if system is None:
            raise NotFound(f"Информационная система с идентификатором {system_id} не найдена", field="SystemIds")
        if not system.is_provider:
            raise ValidationError(f"Система «{system.mnemonic}» не является поставщиком данных", field="SystemIds")
    call.session.execute(delete(ProviderPriority).where(ProviderPriority.organization_id == organization_id))
    call.session.add_all(
        ProviderPriority(organization_id=organization_id, system_id=system_id, rank=rank)
        for rank, system_id in enumerate(system_ids, start=1)
    )
    call.session.flush()
    order = ", ".join(systems[system_id].mnemonic for system_id in system_ids) or "пусто"
    audit.record(
        call,
        audit.ADMIN,
        object_type="provider_priority",
        object_id=organization_id,
        details=f"Приоритет поставщиков организации {organization_id}: {order}",
    )


def get_provider_priority(call: CallContext, *, organization_id: int) -> list[RankedProvider]:
    """The organization's providers in priority order."""
    require(caller_of(call), VIEW_REGISTRIES)
    _organization(call, organization_id)
    rows = call.session.execute(
        select(ProviderPriority.rank, InfoSystem)
        .join(InfoSystem, InfoSystem.id == ProviderPriority.system_id)
        .where(ProviderPriority.organization_id == organization_id)
        .order_by(ProviderPriority.rank)
    ).tuples()
    return [
        RankedProvider(
            rank=rank, system_id=system.id, mnemonic=system.mnemonic, name=system.name, is_active=system.is_active
        )
        for rank, system in rows
    ]


def _organization(call: CallContext, organization_id: int) -> None:
    if call.session.get(Organization, organization_id) is None:
        raise NotFound(
            f"Образовательная организация с идентификатором {organization_id} не найдена", field="OrganizationId"
        )
    ensure_unit_visible(call, organization_id, object_type="provider_priority")
