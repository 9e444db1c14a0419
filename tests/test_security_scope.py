"""Scopes follow the hierarchy: a caller sees its unit and everything below it."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db import hierarchy
from db.models import AuditEvent, Organization
from kontingent_ws.errors import AccessDenied
from kontingent_ws.security.caller import AUTHORITY_ADMIN, EMPLOYEE, SYSTEM_ADMIN, Caller
from kontingent_ws.security.scope import ensure_unit_visible, scope_filter
from kontingent_ws.settings import Settings
from tests.authkit import SmallRegion, call_context, make_small_region

SETTINGS = Settings(secret_key=Fernet.generate_key().decode())


def _caller(role: str, unit_id: int | None) -> Caller:
    return Caller(kind="user", role=role, name=f"{role}-{unit_id}", user_id=None, unit_id=unit_id)


def _visible_orgs(session: Session, caller: Caller) -> set[int]:
    call = call_context(session, SETTINGS, caller=caller)
    return set(session.scalars(select(Organization.id).where(scope_filter(call, Organization.id))))


def _sees(session: Session, caller: Caller, unit_id: int) -> bool:
    call = call_context(session, SETTINGS, caller=caller)
    try:
        ensure_unit_visible(call, unit_id)
    except AccessDenied:
        return False
    return True


@pytest.fixture
def region(session: Session) -> SmallRegion:
    made = make_small_region(session)
    session.commit()
    return made


def test_scopes_by_role_and_level(session: Session, region: SmallRegion) -> None:
    everything = {region.north_school_id, region.north_kindergarten_id, region.south_school_id}
    assert _visible_orgs(session, _caller(SYSTEM_ADMIN, None)) == everything
    assert _visible_orgs(session, _caller(EMPLOYEE, region.ministry_id)) == everything
    assert _visible_orgs(session, _caller(AUTHORITY_ADMIN, region.north_id)) == {
        region.north_school_id,
        region.north_kindergarten_id,
    }
    assert _visible_orgs(session, _caller(EMPLOYEE, region.north_school_id)) == {region.north_school_id}


def test_refused_access_is_audited(session: Session, region: SmallRegion) -> None:
    north = _caller(AUTHORITY_ADMIN, region.north_id)
    assert not _sees(session, north, region.south_school_id)
    session.expire_all()
    events = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "access_denied")))
    assert [(e.object_type, e.object_id) for e in events] == [("org_unit", str(region.south_school_id))]


def test_moving_an_organization_changes_both_scopes_in_one_transaction(session: Session, region: SmallRegion) -> None:
    north = _caller(AUTHORITY_ADMIN, region.north_id)
    south = _caller(AUTHORITY_ADMIN, region.south_id)
    assert _sees(session, north, region.north_school_id)
    assert not _sees(session, south, region.north_school_id)

    hierarchy.move(session, region.north_school_id, region.south_id)
    # Same transaction, not yet committed: both authorities already see the new structure.
    assert region.north_school_id in _visible_orgs(session, south)
    assert region.north_school_id not in _visible_orgs(session, north)
    assert _sees(session, south, region.north_school_id)

    session.rollback()  # the move is undone with its transaction
    assert region.north_school_id in _visible_orgs(session, north)
    assert region.north_school_id not in _visible_orgs(session, south)

    hierarchy.move(session, region.north_school_id, region.south_id)
    session.commit()
    assert not _sees(session, north, region.north_school_id)
    assert _sees(session, south, region.north_school_id)


def test_moving_an_authority_moves_its_subtree(session: Session, region: SmallRegion) -> None:
    hierarchy.move(session, region.south_id, region.north_id)
    north = _caller(AUTHORITY_ADMIN, region.north_id)
    assert region.south_school_id in _visible_orgs(session, north)
    assert hierarchy.ancestors_of(session, region.south_school_id) == [
        region.south_id,
        region.north_id,
        region.ministry_id,
    ]


def test_cycles_are_refused(session: Session, region: SmallRegion) -> None:
    with pytest.raises(hierarchy.HierarchyCycle):
        hierarchy.move(session, region.ministry_id, region.north_school_id)
    with pytest.raises(hierarchy.HierarchyCycle):
        hierarchy.move(session, region.north_id, region.north_id)
    assert session.scalar(select(func.count()).select_from(Organization)) == 3
