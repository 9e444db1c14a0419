"""User management: create, edit, block and list the people who work with the system.

A system administrator manages every user. An authority administrator manages only users whose
unit lies within its own unit's subtree, places users only there, and never creates or promotes
a system administrator. Passwords follow the policy of ``security.passwords``; the server keeps
an Argon2id hash and the encrypted copy PasswordDigest needs.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import cast

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import aliased

from db.hierarchy import subtree_ids
from db.models import AppUser, OrgUnit
from kontingent_ws.call import CallContext
from kontingent_ws.errors import Conflict, NotFound, ValidationError
from kontingent_ws.security import audit
from kontingent_ws.security.caller import ROLES, SYSTEM_ADMIN
from kontingent_ws.security.passwords import check_password_policy, encrypt_secret, hash_password
from kontingent_ws.security.permissions import MANAGE_USERS, require
from kontingent_ws.security.provisioning import new_user
from kontingent_ws.security.scope import caller_of, deny, ensure_unit_visible, scope_filter
from kontingent_ws.usecases.listing import PageOf, check_paging

LOGIN_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{2,99}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ROLE_NAMES = {
    "system_admin": "системный администратор",
    "authority_admin": "администратор органа управления",
    "employee": "сотрудник организации",
}
NO_SYSTEM_ADMIN = "Администратор органа управления не может назначать роль системного администратора"


@dataclass(frozen=True, kw_only=True)
class UserView:
    """A user as the administration contract shows it (never the password or its hash)."""

    id: int
    login: str
    full_name: str
    email: str | None
    role: str
    unit_id: int | None
    unit_name: str | None
    blocked: bool
    """Blocked by an administrator (``is_active`` false)."""
    locked_until: dt.datetime | None
    """End of a temporary lock after failed logins, if any."""
    last_login_at: dt.datetime | None


def create_user(
    call: CallContext,
    *,
    login: str,
    password: str,
    full_name: str,
    email: str | None,
    role: str,
    unit_id: int | None,
) -> int:
    """Create a user and return its id."""
    require(caller_of(call), MANAGE_USERS)
    login = login.strip()
    if not LOGIN_PATTERN.match(login):
        raise ValidationError(
            "Логин должен содержать от 3 до 100 латинских букв, цифр или знаков . _ @ - и начинаться с буквы или цифры",
            field="Login",
        )
    full_name, email = _full_name(full_name), _email(email)
    _check_role(role, unit_id)
    _check_placement(call, role=role, unit_id=unit_id, object_id=login)
    check_password_policy(password)
    taken = call.session.scalar(select(AppUser.id).where(func.lower(AppUser.login) == login.lower()))
    if taken is not None:
        raise Conflict(f"Пользователь с логином «{login}» уже существует", field="Login")
    user = new_user(
        call.session,
        call.settings,
        login=login,
        password=password,
        role=role,
        unit_id=unit_id,
        full_name=full_name,
        email=email,
    )
    audit.record(
        call,
        audit.ADMIN,
        object_type="app_user",
        object_id=user.id,
        details=f"Создан пользователь {login}, роль: {ROLE_NAMES[role]}, подразделение: {unit_id or '—'}",
    )
    return user.id


def update_user(
    call: CallContext,
    *,
    user_id: int,
    full_name: str | None = None,
    email: str | None = None,
    role: str | None = None,
    unit_id: int | None = None,
    password: str | None = None,
) -> None:
    """Change the given fields of a user (``None`` keeps a value; an empty ``email`` clears it)."""
    require(caller_of(call), MANAGE_USERS)
    user = _managed_user(call, user_id)
    new_role = role if role is not None else user.role
    new_unit = unit_id if unit_id is not None else user.org_unit_id
    new_name = _full_name(full_name) if full_name is not None else user.full_name
    new_email = _email(email) if email is not None else user.email
    _check_role(new_role, new_unit)
    if role is not None or unit_id is not None:
        _check_placement(call, role=new_role, unit_id=new_unit, object_id=user_id)
    if password is not None:
        check_password_policy(password)
    changed = [
        label
        for label, old, new in (
            ("ФИО", user.full_name, new_name),
            ("адрес электронной почты", user.email, new_email),
            ("роль", user.role, new_role),
            ("подразделение", user.org_unit_id, new_unit),
        )
        if old != new
    ]
    user.full_name, user.email, user.role, user.org_unit_id = new_name, new_email, new_role, new_unit
    if password is not None:
        user.password_hash = hash_password(password)
        user.digest_secret = encrypt_secret(call.settings, password)
        user.failed_logins, user.locked_until = 0, None
        changed.append("пароль")
    call.session.flush()
    audit.record(
        call,
        audit.ADMIN,
        object_type="app_user",
        object_id=user.id,
        details=f"Изменён пользователь {user.login}: {', '.join(changed) or 'без изменений'}",
    )


def set_user_blocked(call: CallContext, *, user_id: int, blocked: bool) -> None:
    """Block a user (no further logins) or unblock it (clearing a lock after failed logins too)."""
    caller = caller_of(call)
    require(caller, MANAGE_USERS)
    user = _managed_user(call, user_id)
    if blocked and caller.user_id == user.id:
        raise Conflict("Нельзя заблокировать собственную учётную запись")
    user.is_active = not blocked
    if not blocked:
        user.failed_logins, user.locked_until = 0, None
    call.session.flush()
    audit.record(
        call,
        audit.ADMIN,
        object_type="app_user",
        object_id=user.id,
        details=f"Пользователь {user.login} {'заблокирован' if blocked else 'разблокирован'}",
    )


def list_users(
    call: CallContext,
    *,
    unit_id: int | None,
    include_subordinate: bool,
    page: int,
    page_size: int,
) -> PageOf[UserView]:
    """Users of a unit (optionally with everything below it), or all users the caller manages."""
    require(caller_of(call), MANAGE_USERS)
    paging = check_paging(page, page_size, limit=call.settings.page_size_limit)
    if unit_id is not None:
        if call.session.get(OrgUnit, unit_id) is None:
            raise NotFound(f"Подразделение с идентификатором {unit_id} не найдено", field="UnitId")
        ensure_unit_visible(call, unit_id, object_type="app_user")
        where = (
            AppUser.org_unit_id.in_(subtree_ids(unit_id)) if include_subordinate else AppUser.org_unit_id == unit_id
        )
    else:
        where = scope_filter(call, cast(ColumnElement[int], AppUser.org_unit_id))  # nullable column
    total = call.session.scalar(select(func.count()).select_from(AppUser).where(where)) or 0
    unit = aliased(OrgUnit)
    rows = call.session.execute(
        select(AppUser, unit.short_name)
        .outerjoin(unit, unit.id == AppUser.org_unit_id)
        .where(where)
        .order_by(AppUser.login)
        .offset(paging.offset)
        .limit(paging.limit)
    ).tuples()
    return PageOf(items=[_view(user, unit_name) for user, unit_name in rows], total=total)


def _view(user: AppUser, unit_name: str | None) -> UserView:
    return UserView(
        id=user.id,
        login=user.login,
        full_name=user.full_name,
        email=user.email,
        role=user.role,
        unit_id=user.org_unit_id,
        unit_name=unit_name,
        blocked=not user.is_active,
        locked_until=user.locked_until,
        last_login_at=user.last_login_at,
    )


def _managed_user(call: CallContext, user_id: int) -> AppUser:
    """The user ``user_id`` if the caller may manage it (an authority administrator: within scope)."""
    user = call.session.get(AppUser, user_id)
    if user is None:
        raise NotFound(f"Пользователь с идентификатором {user_id} не найден", field="UserId")
    if caller_of(call).role == SYSTEM_ADMIN:
        return user
    if user.org_unit_id is None or user.role == SYSTEM_ADMIN:
        raise deny(call, object_type="app_user", object_id=user_id)
    ensure_unit_visible(call, user.org_unit_id, object_type="app_user")
    return user


def _check_role(role: str, unit_id: int | None) -> None:
    if role not in ROLES:
        raise ValidationError(f"Неизвестная роль «{role}»; допустимы: {', '.join(ROLES)}", field="Role")
    if role != SYSTEM_ADMIN and unit_id is None:
        raise ValidationError(
            f"Для роли «{ROLE_NAMES[role]}» нужно указать подразделение (UnitId)", field="UnitId"
        )


def _check_placement(call: CallContext, *, role: str, unit_id: int | None, object_id: str | int) -> None:
    """The unit must exist; an authority administrator places users only in its subtree, never as system admins."""
    if unit_id is not None and call.session.get(OrgUnit, unit_id) is None:
        raise NotFound(f"Подразделение с идентификатором {unit_id} не найдено", field="UnitId")
    if caller_of(call).role == SYSTEM_ADMIN:
        return
    if role == SYSTEM_ADMIN or unit_id is None:
        raise deny(call, object_type="app_user", object_id=object_id, message=NO_SYSTEM_ADMIN)
    ensure_unit_visible(call, unit_id, object_type="app_user")


def _full_name(value: str) -> str:
    value = " ".join(value.split())
    if not value or len(value) > 300:
        raise ValidationError("ФИО пользователя обязательно и не длиннее 300 символов", field="FullName")
    return value


def _email(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if len(value) > 200 or not EMAIL_PATTERN.match(value):
        raise ValidationError(f"Неверный адрес электронной почты «{value}»", field="Email")
    return value
