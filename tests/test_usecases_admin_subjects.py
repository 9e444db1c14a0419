"""The subject dictionary: regional and municipal entries, binding organizations' subjects."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import BaseSubject, LocalSubject
from kontingent_ws.errors import AccessDenied, Conflict, NotFound, ValidationError
from kontingent_ws.usecases import subjects
from tests.adminkit import AdminWorld, admin_call, audit_count, make_admin_world


@pytest.fixture
def world(session: Session) -> AdminWorld:
    return make_admin_world(session)


def _regional(session: Session) -> BaseSubject:
    subject = session.scalars(select(BaseSubject).where(BaseSubject.owner_authority_id.is_(None))).first()
    assert subject is not None, "the regional dictionary is seeded by initdb"
    return subject


def _local(session: Session, organization_id: int, name: str) -> int:
    local = LocalSubject(organization_id=organization_id, name=name)
    session.add(local)
    session.commit()
    return local.id


def test_municipal_entries_are_kept_by_their_authority(session: Session, world: AdminWorld) -> None:
    region = world.region
    north = admin_call(session, world.north_admin, "SaveBaseSubject")

    created = subjects.save_base_subject(north, code="KR-01", name="Краеведение  Севера", authority_id=region.north_id)
    renamed = subjects.save_base_subject(north, code="KR-01", name="Краеведение", authority_id=region.north_id)
    session.commit()

    assert created == renamed
    entry = session.get(BaseSubject, created)
    assert entry is not None and (entry.name, entry.owner_authority_id) == ("Краеведение", region.north_id)
    assert audit_count(session, "admin", "base_subject") == 2

    with pytest.raises(AccessDenied):
        subjects.save_base_subject(north, code="KR-02", name="Чужое", authority_id=region.south_id)
    with pytest.raises(AccessDenied) as regional:
        subjects.save_base_subject(north, code="KR-03", name="Региональное", authority_id=None)
    assert "базового справочника" in regional.value.message
    with pytest.raises(AccessDenied):
        subjects.save_base_subject(
            admin_call(session, world.north_employee), code="KR-04", name="x", authority_id=region.north_id
        )
    with pytest.raises(NotFound):
        subjects.save_base_subject(north, code="KR-05", name="x", authority_id=region.north_school_id)
    with pytest.raises(Conflict):
        subjects.save_base_subject(north, code=_regional(session).code, name="Дубль", authority_id=region.north_id)
    with pytest.raises(ValidationError) as bad_code:
        subjects.save_base_subject(north, code="с пробелом", name="x", authority_id=region.north_id)
    assert bad_code.value.field == "Code"


def test_system_admin_keeps_the_regional_dictionary(session: Session, world: AdminWorld) -> None:
    call = admin_call(session, world.admin, "SaveBaseSubject")
    regional = _regional(session)

    same = subjects.save_base_subject(call, code=regional.code, name="Новое наименование", authority_id=None)
    new = subjects.save_base_subject(call, code="ROBO", name="Робототехника", authority_id=None)
    session.commit()

    assert same == regional.id
    assert session.get(BaseSubject, new) is not None


def test_listing_shows_regional_plus_own_and_above(session: Session, world: AdminWorld) -> None:
    region = world.region
    admin = admin_call(session, world.admin)
    ministry_own = subjects.save_base_subject(admin, code="M-1", name="Министерский", authority_id=region.ministry_id)
    north_own = subjects.save_base_subject(admin, code="N-1", name="Северный", authority_id=region.north_id)
    south_own = subjects.save_base_subject(admin, code="S-1", name="Южный", authority_id=region.south_id)
    session.commit()

    regional_only = {s.id for s in subjects.list_base_subjects(admin, authority_id=None)}
    teacher = admin_call(session, world.north_employee)
    as_school = {s.id for s in subjects.list_base_subjects(teacher, authority_id=region.north_id)}

    assert not regional_only & {ministry_own, north_own, south_own}
    assert as_school == regional_only | {ministry_own, north_own}
    with pytest.raises(AccessDenied):
        subjects.list_base_subjects(admin_call(session, world.north_admin), authority_id=region.south_id)


def test_binding_respects_scope_and_ownership(session: Session, world: AdminWorld) -> None:
    region = world.region
    admin = admin_call(session, world.admin)
    north_own = subjects.save_base_subject(admin, code="N-1", name="Северный", authority_id=region.north_id)
    south_own = subjects.save_base_subject(admin, code="S-1", name="Южный", authority_id=region.south_id)
    session.commit()
    algebra = _local(session, region.north_school_id, "Алгебра 7-9")
    south_algebra = _local(session, region.south_school_id, "Алгебра")
    north = admin_call(session, world.north_admin, "BindLocalSubject")

    subjects.bind_local_subject(north, local_subject_id=algebra, base_subject_id=_regional(session).id)
    session.commit()
    subjects.bind_local_subject(north, local_subject_id=algebra, base_subject_id=north_own)
    session.commit()

    [listed] = subjects.list_local_subjects(north, organization_id=region.north_school_id)
    assert (listed.name, listed.base_subject_id, listed.base_subject_code) == ("Алгебра 7-9", north_own, "N-1")
    assert audit_count(session, "write", "local_subject") == 2

    with pytest.raises(ValidationError) as foreign:
        subjects.bind_local_subject(north, local_subject_id=algebra, base_subject_id=south_own)
    assert foreign.value.field == "BaseSubjectId"
    with pytest.raises(AccessDenied):
        subjects.bind_local_subject(north, local_subject_id=south_algebra, base_subject_id=north_own)
    with pytest.raises(AccessDenied):
        subjects.bind_local_subject(
            admin_call(session, world.north_employee), local_subject_id=algebra, base_subject_id=north_own
        )
    with pytest.raises(NotFound):
        subjects.bind_local_subject(north, local_subject_id=algebra, base_subject_id=999_999)
    with pytest.raises(NotFound):
        subjects.list_local_subjects(north, organization_id=region.north_id)
    with pytest.raises(AccessDenied):
        subjects.list_local_subjects(north, organization_id=region.south_school_id)
