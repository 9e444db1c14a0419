"""Authentication of every SOAP call.

A person presents a WS-Security UsernameToken (PasswordDigest with Nonce and Created, or
PasswordText over TLS); a system signs the SOAP Body with its registered X.509 certificate
(BinarySecurityToken). Anything else is ``Client.AuthenticationError``. Every failure is audited
in its own transaction and changes nothing else.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import random
import threading
from typing import Any

from sqlalchemy import Integer, String, bindparam, case, cast, select, union_all, update

from db.dates import as_utc
from db.models import AppUser, InfoSystem, SystemCertificate, SystemContractGrant, SystemWriteScope, utcnow
from db.prepared import PreparedQuery
from kontingent_ws.call import CallContext
from kontingent_ws.errors import AccessDenied, AuthenticationError, KontingentError
from kontingent_ws.security import audit
from kontingent_ws.security.accounts import (
    Account,
    accept_nonce,
    claim_nonce_and_read_user,
    forget_old_nonces,
    read_user,
    release_nonce,
)
from kontingent_ws.security.caller import SYSTEM, Caller
from kontingent_ws.security.passwords import (
    decrypt_secret,
    digests_equal,
    password_digest,
    verify_password_hash,
)
from kontingent_ws.security.usernametoken import (
    PASSWORD_DIGEST,
    SOAP11_NS,
    WSSE_NS,
    UsernameToken,
    read_username_token,
    security_header,
)

BAD_CREDENTIALS = "Неверное имя пользователя или пароль"
REPLAYED_NONCE = "Повторное использование Nonce: запрос отклонён как повтор"
OPEN_CONTRACTS = frozenset({"ServiceInfo"})
"""Contracts every authenticated system may call without a grant."""


# A signed call's system is read with two prepared statements (db/prepared.py): its certificate with
# the system, then its grants and write scopes (ORM queries cost more CPU than the signature check).
_certificate, _system = SystemCertificate.__table__, InfoSystem.__table__
_grant, _scope = SystemContractGrant.__table__, SystemWriteScope.__table__
SYSTEM_OF_CERTIFICATE = PreparedQuery(
    select(
        _certificate.c.revoked_at, _certificate.c.not_before, _certificate.c.not_after, _system.c.id,
        _system.c.mnemonic, _system.c.is_active, _system.c.owner_unit_id, _system.c.is_provider,
        _system.c.is_consumer,
    )
    .select_from(_certificate.outerjoin(_system, _system.c.id == _certificate.c.system_id))
    .where(_certificate.c.fingerprint_sha256 == bindparam("fingerprint")),
    name="auth_system_of_certificate",
)  # fmt: skip
_RIGHTS = union_all(
    select(_grant.c.contract, cast(None, Integer).label("org_unit_id")).where(
        _grant.c.system_id == bindparam("system_id")
    ),
    select(cast(None, String).label("contract"), _scope.c.org_unit_id).where(
        _scope.c.system_id == bindparam("system_id")
    ),
).subquery("rights")
SYSTEM_RIGHTS = PreparedQuery(select(_RIGHTS.c.contract, _RIGHTS.c.org_unit_id), name="auth_rights")
"""The contracts granted to a system (``org_unit_id`` null) and the units it may write (``contract`` null)."""


class _VerifiedPasswords:
    """Remembers (user, hash, password) triples that Argon2 already verified in this process.

    PasswordText verification must not cost an Argon2 run per call; the cache is keyed by the
    stored hash, so a password change or a reset invalidates it.
    """

    def __init__(self, limit: int = 10_000):
        self._seen: dict[str, None] = {}
        self._limit = limit
        self._lock = threading.Lock()

    @staticmethod
    def _key(user: Any, password: str) -> str:
        return hashlib.sha256(f"{user.id}\0{user.password_hash}\0{password}".encode()).hexdigest()

    def check(self, user: Any, password: str) -> bool:
        key = self._key(user, password)
        if key in self._seen:
            return True
        if not verify_password_hash(user.password_hash, password):
            return False
        with self._lock:
            if len(self._seen) >= self._limit:
                self._seen.clear()
            self._seen[key] = None
        return True


class DefaultAuthenticator:
    """Authenticates users by UsernameToken and systems by a signed SOAP Body."""

    def __init__(self) -> None:
        self._passwords = _VerifiedPasswords()

    def authenticate(self, call: CallContext) -> Caller:
        security = security_header(call.envelope)
        try:
            if security is None:
                raise AuthenticationError("Вызов без учётных данных: требуется заголовок WS-Security")
            if security.find(f"{{{WSSE_NS}}}BinarySecurityToken") is not None:
                return self._system(call)
            token = read_username_token(security)
            if token is None:
                raise AuthenticationError("Заголовок WS-Security не содержит ни UsernameToken, ни подписи")
            return self._user(call, token)
        except AuthenticationError as exc:
            audit.record_detached(call, audit.AUTH_FAILURE, actor=_actor_hint(security), details=exc.message)
            raise

    # --- people -------------------------------------------------------------------------------
    def _user(self, call: CallContext, token: UsernameToken) -> Caller:
        settings = call.settings
        session = call.session
        now = utcnow()
        fresh = token.created_at is not None and (
            abs((now - token.created_at).total_seconds()) <= settings.created_skew_seconds
        )
        claimed: bool | None = None  # whether the one-trip lookup stored the nonce; None: it did not run
        units_in_scope: frozenset[int] = frozenset()
        organizations_in_scope: frozenset[int] = frozenset()
        user: Account | None
        found = None
        if fresh and token.password_type == PASSWORD_DIGEST and token.nonce is not None and token.created:
            found = claim_nonce_and_read_user(session, login=token.username, nonce=_nonce_key(token), now=now)
        if found is None:
            user = read_user(session, token.username)
        else:
            user, claimed, units_in_scope, organizations_in_scope = found
        if user is None:
            raise AuthenticationError(BAD_CREDENTIALS)
        if not user.is_active:
            raise AuthenticationError("Учётная запись заблокирована администратором")
        if user.locked_until is not None and as_utc(user.locked_until) > now:
            raise AuthenticationError("Учётная запись временно заблокирована после неудачных попыток входа")
        if token.created_at is not None and not fresh:
            raise AuthenticationError("Метка времени Created устарела или указана в будущем")
        if token.password_type == PASSWORD_DIGEST:
            if token.nonce is None or token.created is None:
                raise AuthenticationError("PasswordDigest требует Nonce и Created")
            secret = decrypt_secret(settings, user.digest_secret)
            ok = secret is not None and digests_equal(
                password_digest(token.nonce, token.created, secret), token.password
            )
        else:
            ok = self._passwords.check(user, token.password)
        if not ok:
            if claimed:
                release_nonce(session.get_bind(), _nonce_key(token))
            _count_failure(call, user.id)
            raise AuthenticationError(BAD_CREDENTIALS)
        if claimed is False:
            raise AuthenticationError(REPLAYED_NONCE)
        if claimed is None and token.nonce is not None:
            _accept_nonce(call, token)
        if random.random() < 0.01:
            forget_old_nonces(session, now - dt.timedelta(seconds=settings.nonce_ttl_seconds))
        stale_login = user.last_login_at is None or now - as_utc(user.last_login_at) > dt.timedelta(minutes=5)
        if user.failed_logins or user.locked_until is not None or stale_login:
            session.execute(
                update(AppUser)
                .where(AppUser.id == user.id)
                .values(failed_logins=0, locked_until=None, last_login_at=now)
                .execution_options(synchronize_session=False)
            )
        return Caller(
            kind="user",
            role=user.role,
            name=user.login,
            user_id=user.id,
            unit_id=user.org_unit_id,
            units_in_scope=units_in_scope,
            organizations_in_scope=organizations_in_scope,
        )

    # --- systems ------------------------------------------------------------------------------
    def _system(self, call: CallContext) -> Caller:
        from kontingent_ws.xmlsig.wsse import verify_wsse_envelope

        envelope = call.envelope
        assert envelope is not None  # a security header was found in it
        try:
            result = verify_wsse_envelope(envelope)
        except KontingentError as exc:
            raise AuthenticationError(f"Подпись вызова не принята: {exc.message}") from exc
        if result.body is not envelope.find(f"{{{SOAP11_NS}}}Body"):
            raise AuthenticationError("Подписан не тот элемент Body, который передан в вызове")
        connection = call.session.connection()
        found = SYSTEM_OF_CERTIFICATE.first(connection, {"fingerprint": result.fingerprint})
        if found is None:
            raise AuthenticationError("Сертификат не зарегистрирован ни за одной информационной системой")
        (revoked_at, not_before, not_after, system_id, mnemonic, is_active, owner_unit_id, is_provider,
         is_consumer) = found  # fmt: skip
        now = utcnow()
        if revoked_at is not None:
            raise AuthenticationError("Сертификат информационной системы отозван")
        if not (as_utc(not_before) <= now <= as_utc(not_after)):
            raise AuthenticationError("Срок действия сертификата информационной системы истёк или не наступил")
        if system_id is None or not is_active:
            raise AuthenticationError("Информационная система отключена")
        rights = SYSTEM_RIGHTS.rows(connection, {"system_id": system_id})
        contracts = frozenset(contract for contract, unit_id in rights if contract is not None)
        caller = Caller(
            kind="system",
            role=SYSTEM,
            name=mnemonic,
            system_id=system_id,
            unit_id=owner_unit_id,
            write_unit_ids=frozenset(unit_id for contract, unit_id in rights if contract is None),
            contracts=contracts,
            is_provider=is_provider,
            is_consumer=is_consumer,
        )
        if call.contract not in contracts and call.contract not in OPEN_CONTRACTS:
            call.caller = caller
            message = f"Информационной системе не предоставлен доступ к сервису {call.contract}"
            audit.record_detached(
                call, audit.ACCESS_DENIED, object_type="contract", object_id=call.contract, details=message
            )
            error = AccessDenied(message)
            error.audited = True
            raise error
        return caller


def _actor_hint(security: object) -> str | None:
    """A login or 'certificate' for the audit row of a failure (never a password)."""
    from lxml import etree

    if not isinstance(security, etree._Element):
        return None
    login = security.findtext(f"{{{WSSE_NS}}}UsernameToken/{{{WSSE_NS}}}Username")
    if login:
        return login.strip()[:200]
    return "certificate" if security.find(f"{{{WSSE_NS}}}BinarySecurityToken") is not None else None


def _count_failure(call: CallContext, user_id: int) -> None:
    """Count a failed login and lock the account past the threshold: one statement committed on its
    own (atomic under concurrent failures also on an autocommit engine)."""
    from sqlalchemy.orm import Session

    settings = call.settings
    call.session.rollback()  # the call is failing; release its locks (SQLite has one writer)
    failures = AppUser.failed_logins + 1
    with Session(bind=call.session.get_bind()) as session, session.begin():
        session.execute(
            update(AppUser)
            .where(AppUser.id == user_id)
            .values(
                failed_logins=failures,
                locked_until=case(
                    (
                        failures >= settings.login_lock_threshold,
                        utcnow() + dt.timedelta(seconds=settings.login_lock_seconds),
                    ),
                    else_=AppUser.locked_until,
                ),
            )
        )


def _nonce_key(token: UsernameToken) -> str:
    assert token.nonce is not None
    return base64.b64encode(token.nonce).decode("ascii")


def _accept_nonce(call: CallContext, token: UsernameToken) -> None:
    """Accept a nonce once, in its own committed transaction: it stays used even when the call fails."""
    if not accept_nonce(call.session.get_bind(), nonce=_nonce_key(token), login=token.username, now=utcnow()):
        raise AuthenticationError(REPLAYED_NONCE)


default_authenticator = DefaultAuthenticator()
