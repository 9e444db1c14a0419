"""User management: who may create, edit, block and list which users."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from db.models import AppUser
from kontingent_ws.errors import AccessDenied, Conflict, NotFound, ValidationError
from kontingent_ws.security.passwords import decrypt_secret, verify_password_hash
from kontingent_ws.usecases import users
from tests.adminkit import PASSWORD, SETTINGS, AdminWorld, admin_call, audit_count, make_admin_world

NEW_PASSWORD = "Другой-пароль-77"


@pytest.fixture
def world(session: Session) -> AdminWorld:
    return make_admin_world(session)


def _create(session: Session, world: AdminWorld, **overrides: object) -> int:
    caller = overrides.pop("caller", world.admin)
    values: dict[str, object] = {
        "login": "ivanova",
        "password": PASSWORD,
        "full_name": "Иванова  Мария Петровна",
        "email": "ivanova@school1.example.ru",
        "role": "employee",
        "unit_id": world.region.north_school_id,
    }
    values.update(overrides)
    user_id = users.create_user(admin_call(session, caller, "CreateUser"), **values)  # type: ignore[arg-type]
    session.commit()
    return user_id


def test_system_admin_creates_a_user_with_hash_secret_and_audit(session: Session, world: AdminWorld) -> None:
    user_id = _create(session, world)

    user = session.get(AppUser, user_id)
    assert user is not None
    assert (user.login, user.full_name, user.role, user.org_unit_id) == (
        "ivanova",
        "Иванова Мария Петровна",
        "employee",
        world.region.north_school_id,
    )
    assert verify_password_hash(user.password_hash, PASSWORD)
    assert decrypt_secret(SETTINGS, user.digest_secret) == PASSWORD
    assert audit_count(session, "admin", "app_user") == 1


def test_login_is_unique_regardless_of_case(session: Session, world: AdminWorld) -> None:
    _create(session, world)
    with pytest.raises(Conflict) as refused:
        _create(session, world, login="IVANOVA")
    assert refused.value.code == "Client.Conflict"
    assert "уже существует" in refused.value.message


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"password": "короткий1"}, "password"),
        ({"password": "толькобуквыбезцифр"}, "password"),
        ({"login": "ив"}, "Login"),
        ({"email": "не-адрес"}, "Email"),
        ({"full_name": "   "}, "FullName"),
        ({"role": "superuser"}, "Role"),
        ({"role": "employee", "unit_id": None}, "UnitId"),
    ],
)
def test_invalid_input_is_refused_with_the_field(
    session: Session, world: AdminWorld, overrides: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        _create(session, world, **overrides)
    assert refused.value.field == field
    assert refused.value.code == "Client.Validation"


def test_unknown_unit_is_not_found(session: Session, world: AdminWorld) -> None:
    with pytest.raises(NotFound):
        _create(session, world, unit_id=999_999)


def test_authority_admin_manages_only_its_subtree(session: Session, world: AdminWorld) -> None:
    region = world.region
    north_admin = world.north_admin
    inside = _create(session, world, caller=north_admin, login="north.kinder", unit_id=region.north_kindergarten_id)
    assert session.get(AppUser, inside) is not None

    with pytest.raises(AccessDenied):
        _create(session, world, caller=world.north_admin, login="south.teacher", unit_id=region.south_school_id)
    with pytest.raises(AccessDenied) as promoted:
        _create(session, world, caller=world.north_admin, login="north.root", role="system_admin", unit_id=None)
    assert "системного администратора" in promoted.value.message

    south_user = _create(session, world, login="south.teacher", unit_id=region.south_school_id)
    with pytest.raises(AccessDenied):
        users.update_user(admin_call(session, world.north_admin), user_id=south_user, full_name="Петров П. П.")
    with pytest.raises(AccessDenied):
        users.set_user_blocked(admin_call(session, world.north_admin), user_id=world.admin.user_id or 0, blocked=True)
    with pytest.raises(AccessDenied):
        users.update_user(admin_call(session, world.north_admin), user_id=inside, role="system_admin")
    with pytest.raises(AccessDenied):
        users.update_user(admin_call(session, world.north_admin), user_id=inside, unit_id=region.south_school_id)
    assert audit_count(session, "access_denied", "app_user") == 6


def test_employee_has_no_user_management(session: Session, world: AdminWorld) -> None:
    with pytest.raises(AccessDenied) as refused:
        _create(session, world, caller=world.north_employee, login="colleague")
    assert "управление пользователями" in refused.value.message
    with pytest.raises(AccessDenied):
        users.list_users(
            admin_call(session, world.north_employee), unit_id=None, include_subordinate=False, page=1, page_size=10
        )


def test_update_changes_given_fields_and_password(session: Session, world: AdminWorld) -> None:
    user_id = _create(session, world)
    call = admin_call(session, world.north_admin, "UpdateUser")

    users.update_user(call, user_id=user_id, email="", role="authority_admin", password=NEW_PASSWORD)
    session.commit()

    user = session.get(AppUser, user_id)
    assert user is not None
    assert (user.email, user.role, user.full_name) == (None, "authority_admin", "Иванова Мария Петровна")
    assert verify_password_hash(user.password_hash, NEW_PASSWORD)
    assert decrypt_secret(SETTINGS, user.digest_secret) == NEW_PASSWORD
    assert audit_count(session, "admin", "app_user") == 2

    with pytest.raises(NotFound):
        users.update_user(call, user_id=424242, full_name="Никто")


def test_block_and_unblock(session: Session, world: AdminWorld) -> None:
    user_id = _create(session, world)
    call = admin_call(session, world.north_admin, "SetUserBlocked")
    users.set_user_blocked(call, user_id=user_id, blocked=True)
    session.commit()
    user = session.get(AppUser, user_id)
    assert user is not None and user.is_active is False

    user.failed_logins = 7
    session.commit()
    users.set_user_blocked(call, user_id=user_id, blocked=False)
    session.commit()
    assert (user.is_active, user.failed_logins) == (True, 0)

    with pytest.raises(Conflict):
        users.set_user_blocked(call, user_id=world.north_admin.user_id or 0, blocked=True)


def test_list_users_by_scope_unit_and_page(session: Session, world: AdminWorld) -> None:
    region = world.region
    _create(session, world, login="south.teacher", unit_id=region.south_school_id)
    _create(session, world, login="north.kinder", unit_id=region.north_kindergarten_id)

    def logins(caller_name: str, **query: object) -> tuple[list[str], int]:
        caller = getattr(world, caller_name)
        params: dict[str, object] = {"unit_id": None, "include_subordinate": False, "page": 1, "page_size": 10}
        params.update(query)
        page = users.list_users(admin_call(session, caller), **params)  # type: ignore[arg-type]
        return [u.login for u in page.items], page.total

    assert logins("admin") == (["admin", "north.admin", "north.kinder", "north.teacher", "south.teacher"], 5)
    assert logins("north_admin") == (["north.admin", "north.kinder", "north.teacher"], 3)
    assert logins("north_admin", unit_id=region.north_id) == (["north.admin"], 1)
    assert logins("north_admin", unit_id=region.north_id, include_subordinate=True) == (
        ["north.admin", "north.kinder", "north.teacher"],
        3,
    )
    assert logins("admin", page=2, page_size=2) == (["north.kinder", "north.teacher"], 5)
    page = users.list_users(
        admin_call(session, world.admin), unit_id=region.north_school_id, include_subordinate=False, page=1, page_size=5
    )
    assert page.items[0].unit_name == "МБОУ СОШ № 1"
    assert page.items[0].blocked is False

    with pytest.raises(AccessDenied):
        logins("north_admin", unit_id=region.south_school_id)


@pytest.mark.parametrize(("page", "page_size", "field"), [(0, 10, "Page"), (1, 0, "PageSize"), (1, 51, "PageSize")])
def test_paging_limits_name_the_field(
    session: Session, world: AdminWorld, page: int, page_size: int, field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        users.list_users(
            admin_call(session, world.admin), unit_id=None, include_subordinate=False, page=page, page_size=page_size
        )
    assert refused.value.field == field
    assert field in refused.value.message
