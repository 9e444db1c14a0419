"""Subordination of units and the provider priority of organizations."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from db import hierarchy as closure
from db.models import ChangeLog, InfoSystem, OrgUnit
from kontingent_ws.errors import AccessDenied, NotFound, ValidationError
from kontingent_ws.usecases import hierarchy, providers
from tests.adminkit import AdminWorld, admin_call, audit_count, make_admin_world


@pytest.fixture
def world(session: Session) -> AdminWorld:
    return make_admin_world(session)


def test_moving_a_school_updates_parent_closure_and_change_log(session: Session, world: AdminWorld) -> None:
    region = world.region
    call = admin_call(session, world.admin, "SetSubordination")

    hierarchy.set_subordination(call, unit_id=region.north_school_id, new_parent_id=region.south_id)
    session.commit()

    school = session.get(OrgUnit, region.north_school_id)
    assert school is not None and school.parent_id == region.south_id
    assert closure.is_within(session, region.south_id, region.north_school_id)
    assert not closure.is_within(session, region.north_id, region.north_school_id)
    assert closure.is_within(session, region.ministry_id, region.north_school_id)
    logged = session.scalars(select(ChangeLog).where(ChangeLog.entity_id == region.north_school_id)).all()
    assert [(c.entity, c.operation) for c in logged] == [("organization", "upsert")]
    assert audit_count(session, "admin", "org_unit") == 1


def test_organization_under_organization_and_authority_subtree_move(session: Session, world: AdminWorld) -> None:
    region = world.region
    call = admin_call(session, world.admin)

    hierarchy.set_subordination(call, unit_id=region.north_kindergarten_id, new_parent_id=region.north_school_id)
    hierarchy.set_subordination(call, unit_id=region.north_id, new_parent_id=region.south_id)
    session.commit()

    assert closure.is_within(session, region.south_id, region.north_kindergarten_id)
    assert closure.ancestors_of(session, region.north_kindergarten_id) == [
        region.north_school_id,
        region.north_id,
        region.south_id,
        region.ministry_id,
    ]


@pytest.mark.parametrize(
    ("unit", "parent", "fragment"),
    [
        ("ministry_id", "north_school_id", "только органу управления"),
        ("ministry_id", "north_id", "нижестоящей"),
        ("north_school_id", "north_school_id", "самой себе"),
        ("north_school_id", None, "должна подчиняться"),
    ],
)
def test_invalid_subordination_is_refused_in_russian(
    session: Session, world: AdminWorld, unit: str, parent: str | None, fragment: str
) -> None:
    region = world.region
    with pytest.raises(ValidationError) as refused:
        hierarchy.set_subordination(
            admin_call(session, world.admin),
            unit_id=getattr(region, unit),
            new_parent_id=getattr(region, parent) if parent else None,
        )
    assert fragment in refused.value.message
    assert refused.value.field == "NewParentId"
    assert closure.orphans(session) == []


def test_only_the_system_administrator_sets_subordination(session: Session, world: AdminWorld) -> None:
    region = world.region
    with pytest.raises(AccessDenied):
        hierarchy.set_subordination(
            admin_call(session, world.north_admin), unit_id=region.north_school_id, new_parent_id=region.north_id
        )
    with pytest.raises(NotFound):
        hierarchy.set_subordination(admin_call(session, world.admin), unit_id=999_999, new_parent_id=region.north_id)


def _system(session: Session, mnemonic: str, *, provider: bool = True) -> int:
    system = InfoSystem(mnemonic=mnemonic, name=mnemonic, is_provider=provider, is_consumer=not provider)
    session.add(system)
    session.commit()
    return system.id


def test_provider_priority_is_replaced_and_read_in_order(session: Session, world: AdminWorld) -> None:
    region = world.region
    first, second, third = (_system(session, name) for name in ("SGO", "DNEVNIK", "EXCEL"))
    call = admin_call(session, world.admin, "SetProviderPriority")

    providers.set_provider_priority(call, organization_id=region.north_school_id, system_ids=[first, second])
    session.commit()
    providers.set_provider_priority(call, organization_id=region.north_school_id, system_ids=[third, first])
    session.commit()

    as_teacher = admin_call(session, world.north_employee, "GetProviderPriority")
    ranked = providers.get_provider_priority(as_teacher, organization_id=region.north_school_id)
    assert [(p.rank, p.mnemonic) for p in ranked] == [(1, "EXCEL"), (2, "SGO")]
    assert audit_count(session, "admin", "provider_priority") == 2

    providers.set_provider_priority(call, organization_id=region.north_school_id, system_ids=[])
    session.commit()
    assert providers.get_provider_priority(call, organization_id=region.north_school_id) == []


def test_provider_priority_refusals(session: Session, world: AdminWorld) -> None:
    region = world.region
    provider = _system(session, "SGO")
    consumer = _system(session, "EPGU", provider=False)
    call = admin_call(session, world.admin)

    with pytest.raises(ValidationError) as not_provider:
        providers.set_provider_priority(call, organization_id=region.north_school_id, system_ids=[consumer])
    assert "EPGU" in not_provider.value.message
    with pytest.raises(ValidationError):
        providers.set_provider_priority(call, organization_id=region.north_school_id, system_ids=[provider, provider])
    with pytest.raises(NotFound):
        providers.set_provider_priority(call, organization_id=region.north_school_id, system_ids=[999])
    with pytest.raises(NotFound):
        providers.set_provider_priority(call, organization_id=region.north_id, system_ids=[provider])
    with pytest.raises(AccessDenied):
        providers.set_provider_priority(
            admin_call(session, world.north_admin), organization_id=region.north_school_id, system_ids=[provider]
        )
    with pytest.raises(AccessDenied):
        providers.get_provider_priority(admin_call(session, world.north_admin), organization_id=region.south_school_id)
