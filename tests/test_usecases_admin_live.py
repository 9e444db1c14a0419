"""The Administration contract over a real gunicorn, driven by zeep with a UsernameToken."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cryptography.fernet import Fernet
from zeep.exceptions import Fault
from zeep.wsse.username import UsernameToken

from db.engine import make_engine, make_session_factory
from kontingent_ws.security.caller import SYSTEM_ADMIN
from kontingent_ws.security.provisioning import new_user
from kontingent_ws.settings import Settings
from tests.authkit import make_small_region
from tests.live import zeep_client

pytestmark = pytest.mark.live

PASSWORD = "Live-admin-2024"


def test_system_admin_creates_and_lists_users_over_soap(
    live_server_factory: Callable[..., str], db_url: str
) -> None:
    secret_key = Fernet.generate_key().decode()
    engine = make_engine(db_url)
    with make_session_factory(engine)() as session:
        region = make_small_region(session)
        new_user(
            session, Settings(secret_key=secret_key), login="root", password=PASSWORD, role=SYSTEM_ADMIN,
            unit_id=None, full_name="Системный администратор",
        )
        session.commit()
    engine.dispose()
    base_url = live_server_factory({"KONTINGENT_SECRET_KEY": secret_key})
    client = zeep_client(base_url, "Administration", wsse=UsernameToken("root", PASSWORD, use_digest=True))

    user_id = client.service.CreateUser(
        Login="petrova", Password="Учитель-2024", FullName="Петрова Анна Ивановна", Role="employee",
        UnitId=region.north_school_id,
    )
    page = client.service.ListUsers(UnitId=region.north_id, IncludeSubordinate=True, Page=1, PageSize=10)

    assert user_id > 0
    assert page.Total == 1
    [listed] = page.Users.UserInfo
    assert (listed.Id, listed.Login, listed.Role, listed.UnitName, listed.Blocked) == (
        user_id, "petrova", "employee", "МБОУ СОШ № 1", False
    )
    with pytest.raises(Fault) as refused:
        client.service.ListUsers(Page=1, PageSize=0)
    assert refused.value.code.endswith("Client.Validation")
    assert "PageSize" in refused.value.message
