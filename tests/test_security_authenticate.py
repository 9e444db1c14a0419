"""Authentication of calls, in process: people by UsernameToken, systems by a signed Body."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db import hierarchy
from db.models import AppUser, AuditEvent, Organization, SystemCertificate, WsNonce
from kontingent_ws.errors import AccessDenied, AuthenticationError
from kontingent_ws.security.authenticate import DefaultAuthenticator
from kontingent_ws.security.caller import AUTHORITY_ADMIN, SYSTEM
from kontingent_ws.security.provisioning import new_system, new_user
from kontingent_ws.security.scope import ensure_unit_visible, known_visible
from kontingent_ws.settings import Settings
from tests.authkit import (
    SOAP,
    call_context,
    make_small_region,
    random_nonce,
    signed_envelope,
    username_envelope,
)
from tests.pki import make_rsa_identity, write_pem_files

PASSWORD = "Correct-horse-42"


@pytest.fixture
def settings() -> Settings:
    return Settings(secret_key=Fernet.generate_key().decode(), login_lock_threshold=3)


@pytest.fixture
def region_user(session: Session, settings: Settings) -> AppUser:
    region = make_small_region(session)
    user = new_user(
        session,
        settings,
        login="north_admin",
        password=PASSWORD,
        role=AUTHORITY_ADMIN,
        unit_id=region.north_id,
        full_name="Администратор",
    )
    session.commit()
    return user


def _audit(session: Session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _authenticate(session: Session, settings: Settings, envelope: etree._Element, contract: str = "ServiceInfo"):
    call = call_context(session, settings, envelope=envelope, contract=contract)
    try:
        return DefaultAuthenticator().authenticate(call)
    except Exception:
        session.rollback()
        raise


def test_password_digest_authenticates_and_scopes_the_user(session, settings, region_user):
    caller = _authenticate(session, settings, username_envelope("north_admin", PASSWORD))
    session.commit()
    assert (caller.kind, caller.role, caller.name) == ("user", AUTHORITY_ADMIN, "north_admin")
    assert caller.unit_id == region_user.org_unit_id
    assert caller.scope_unit_id == region_user.org_unit_id
    assert session.scalar(select(func.count()).select_from(WsNonce)) == 1


def test_password_text_authenticates(session, settings, region_user):
    caller = _authenticate(session, settings, username_envelope("north_admin", PASSWORD, digest=False))
    assert caller.user_id == region_user.id


def test_replayed_nonce_is_refused_and_audited(session, settings, region_user):
    nonce = random_nonce()
    created = dt.datetime.now(dt.UTC)
    _authenticate(session, settings, username_envelope("north_admin", PASSWORD, nonce=nonce, created=created))
    session.commit()
    with pytest.raises(AuthenticationError, match="Повторное использование Nonce"):
        _authenticate(session, settings, username_envelope("north_admin", PASSWORD, nonce=nonce, created=created))
    failures = _audit(session, "auth_failure")
    assert [(a.actor, a.client_address) for a in failures] == [("north_admin", "127.0.0.1")]
    assert session.scalar(select(func.count()).select_from(WsNonce)) == 1


def test_nonce_of_a_failed_call_stays_used(session, settings, region_user):
    """The nonce is committed before the service runs: a call that fails and rolls back cannot be replayed."""
    nonce, created = random_nonce(), dt.datetime.now(dt.UTC)
    _authenticate(session, settings, username_envelope("north_admin", PASSWORD, nonce=nonce, created=created))
    session.rollback()  # the service failed after authentication
    with pytest.raises(AuthenticationError, match="Повторное использование Nonce"):
        _authenticate(session, settings, username_envelope("north_admin", PASSWORD, nonce=nonce, created=created))
    assert session.scalar(select(func.count()).select_from(WsNonce)) == 1


def test_a_refused_password_leaves_no_nonce(session, settings, region_user):
    """A wrong password takes its nonce back: the refused call changes nothing but the failure counter."""
    nonce, created = random_nonce(), dt.datetime.now(dt.UTC)
    with pytest.raises(AuthenticationError, match="Неверное имя пользователя или пароль"):
        _authenticate(
            session, settings, username_envelope("north_admin", "Wrong-password-1", nonce=nonce, created=created)
        )
    assert session.scalar(select(func.count()).select_from(WsNonce)) == 0
    caller = _authenticate(session, settings, username_envelope("north_admin", PASSWORD, nonce=nonce, created=created))
    assert caller.user_id == region_user.id
    assert session.scalar(select(func.count()).select_from(WsNonce)) == 1


def test_a_session_already_in_a_transaction_is_authenticated_too(session, settings, region_user):
    """Authentication inside an open transaction reads the account in it and stores the nonce in its own."""
    assert session.scalar(select(func.count()).select_from(AppUser)) == 1  # the transaction is open now
    nonce, created = random_nonce(), dt.datetime.now(dt.UTC)
    caller = _authenticate(session, settings, username_envelope("north_admin", PASSWORD, nonce=nonce, created=created))
    assert caller.user_id == region_user.id
    session.rollback()
    with pytest.raises(AuthenticationError, match="Повторное использование Nonce"):
        _authenticate(session, settings, username_envelope("north_admin", PASSWORD, nonce=nonce, created=created))


def test_scope_read_with_the_account_only_ever_says_yes(session, settings, region_user):
    """On PostgreSQL the account's units come with it; a unit missing there is still checked in the database."""
    north_id = region_user.org_unit_id
    schools = dict(session.execute(select(Organization.id, Organization.parent_id)).tuples().all())
    north_schools = {school for school, parent in schools.items() if parent == north_id}
    south_school = next(school for school, parent in schools.items() if parent != north_id)
    session.rollback()  # a call's session starts outside any transaction
    caller = _authenticate(session, settings, username_envelope("north_admin", PASSWORD))
    if session.get_bind().dialect.name == "postgresql":
        assert {north_id, *north_schools} <= caller.units_in_scope
        assert caller.organizations_in_scope == north_schools
        assert known_visible(caller, north_id, "authority")
        assert all(known_visible(caller, school, "organization") for school in north_schools)
    assert not known_visible(caller, north_id, "organization")
    assert not known_visible(caller, south_school, "organization")
    assert south_school not in caller.units_in_scope
    call = call_context(session, settings, caller=caller)
    for school in north_schools:
        ensure_unit_visible(call, school)
    # A unit attached below the user's authority after authentication, in the same transaction.
    newcomer = Organization(
        full_name="Новая школа",
        short_name="Новая школа",
        full_name_norm="новая школа",
        parent_id=north_id,
        type_code="12",
        status_code="1",
    )
    session.add(newcomer)
    session.flush()
    hierarchy.attach(session, newcomer.id, north_id)
    assert newcomer.id not in caller.units_in_scope
    ensure_unit_visible(call, newcomer.id)
    with pytest.raises(AccessDenied):
        ensure_unit_visible(call, south_school)


def test_stale_created_is_refused(session, settings, region_user):
    stale = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=settings.created_skew_seconds + 60)
    with pytest.raises(AuthenticationError, match="Created"):
        _authenticate(session, settings, username_envelope("north_admin", PASSWORD, created=stale))
    assert len(_audit(session, "auth_failure")) == 1
    assert session.scalar(select(func.count()).select_from(WsNonce)) == 0


def test_future_created_is_refused(session, settings, region_user):
    future = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    with pytest.raises(AuthenticationError):
        _authenticate(session, settings, username_envelope("north_admin", PASSWORD, created=future))


def test_wrong_password_counts_and_locks(session, settings, region_user):
    for _ in range(settings.login_lock_threshold):
        with pytest.raises(AuthenticationError, match="Неверное имя пользователя или пароль"):
            _authenticate(session, settings, username_envelope("north_admin", "Wrong-password-1"))
    session.expire_all()
    user = session.get(AppUser, region_user.id)
    assert user is not None and user.failed_logins == settings.login_lock_threshold
    assert user.locked_until is not None
    with pytest.raises(AuthenticationError, match="временно заблокирована"):
        _authenticate(session, settings, username_envelope("north_admin", PASSWORD))
    assert len(_audit(session, "auth_failure")) == settings.login_lock_threshold + 1


def test_unknown_login_and_blocked_user(session, settings, region_user):
    with pytest.raises(AuthenticationError):
        _authenticate(session, settings, username_envelope("nobody", PASSWORD))
    region_user.is_active = False
    session.commit()
    with pytest.raises(AuthenticationError, match="заблокирована администратором"):
        _authenticate(session, settings, username_envelope("north_admin", PASSWORD))


def test_anonymous_call_is_refused(session, settings, region_user):
    envelope = etree.fromstring(f'<s:Envelope xmlns:s="{SOAP}"><s:Body><x/></s:Body></s:Envelope>'.encode())
    with pytest.raises(AuthenticationError, match="без учётных данных"):
        _authenticate(session, settings, envelope)
    assert len(_audit(session, "auth_failure")) == 1


@pytest.fixture
def consumer_files(session: Session, tmp_path: Path) -> tuple[Path, Path, int]:
    make_small_region(session)
    identity = make_rsa_identity("epgu-test")
    key_path, cert_path = write_pem_files(identity, tmp_path)
    system = new_system(
        session,
        mnemonic="EPGU_TEST",
        name="ЕПГУ (тест)",
        is_provider=False,
        is_consumer=True,
        certificate_pem=identity.cert_pem,
        contracts=["Students"],
    )
    session.commit()
    return key_path, cert_path, system.id


def test_signed_body_authenticates_a_registered_system(session, settings, consumer_files):
    key_path, cert_path, system_id = consumer_files
    caller = _authenticate(session, settings, signed_envelope(key_path, cert_path), contract="Students")
    assert (caller.kind, caller.role, caller.system_id, caller.sees_region) == ("system", SYSTEM, system_id, True)


def test_system_without_a_grant_is_denied_the_contract(session, settings, consumer_files):
    key_path, cert_path, _ = consumer_files
    with pytest.raises(AccessDenied):
        _authenticate(session, settings, signed_envelope(key_path, cert_path), contract="Administration")
    assert len(_audit(session, "access_denied")) == 1


def test_unknown_certificate_is_refused(session, settings, consumer_files, tmp_path):
    stranger = make_rsa_identity("stranger")
    key_path, cert_path = write_pem_files(stranger, tmp_path / "stranger")
    with pytest.raises(AuthenticationError, match="не зарегистрирован"):
        _authenticate(session, settings, signed_envelope(key_path, cert_path), contract="Students")
    assert len(_audit(session, "auth_failure")) == 1


def test_tampered_body_is_refused(session, settings, consumer_files):
    key_path, cert_path, _ = consumer_files
    envelope = signed_envelope(key_path, cert_path, '<m:Find xmlns:m="urn:test">Иванов</m:Find>')
    body = envelope.find(f"{{{SOAP}}}Body")
    assert body is not None
    body[0].text = "Петров"
    with pytest.raises(AuthenticationError, match="Подпись"):
        _authenticate(session, settings, envelope, contract="Students")


def test_revoked_and_expired_certificates_are_refused(session, settings, consumer_files):
    key_path, cert_path, system_id = consumer_files
    cert = session.scalar(select(SystemCertificate).where(SystemCertificate.system_id == system_id))
    assert cert is not None
    cert.revoked_at = dt.datetime.now(dt.UTC)
    session.commit()
    with pytest.raises(AuthenticationError, match="отозван"):
        _authenticate(session, settings, signed_envelope(key_path, cert_path), contract="Students")
    cert.revoked_at = None
    cert.not_after = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    session.commit()
    with pytest.raises(AuthenticationError, match="Срок действия"):
        _authenticate(session, settings, signed_envelope(key_path, cert_path), contract="Students")
