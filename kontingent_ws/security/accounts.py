"""The database side of authenticating a person: the account row and the nonce register.

On PostgreSQL (psycopg2) a PasswordDigest call costs one round trip: a single autocommitted
statement stores the nonce (``INSERT … ON CONFLICT DO NOTHING`` in a CTE, only for an existing,
active, unlocked account) and returns the account row with whether the nonce was new. The nonce is
committed before the service runs, so a replay is refused even when the first call failed and
rolled back; a wrong password takes the nonce back (:func:`release_nonce`), so a refused call
leaves nothing behind. Elsewhere (SQLite, PasswordText, a connection already in a transaction) the
row is read with a compiled Core statement and the nonce is stored in its own short transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

from sqlalchemy import Engine, bindparam, delete, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from db.models import AppUser, WsNonce
from db.prepared import as_sqlalchemy_error


class Account(NamedTuple):
    """What authentication needs of an ``app_user`` row."""

    id: int
    login: str
    password_hash: str
    digest_secret: bytes
    role: str
    org_unit_id: int | None
    is_active: bool
    failed_logins: int
    locked_until: dt.datetime | None
    last_login_at: dt.datetime | None


_USER_BY_LOGIN = select(
    AppUser.id,
    AppUser.login,
    AppUser.password_hash,
    AppUser.digest_secret,
    AppUser.role,
    AppUser.org_unit_id,
    AppUser.is_active,
    AppUser.failed_logins,
    AppUser.locked_until,
    AppUser.last_login_at,
).where(AppUser.login == bindparam("login"))

_ACCEPT_NONCE = text(
    "INSERT INTO ws_nonce (nonce, login, seen_at) VALUES (:nonce, :login, :seen_at) ON CONFLICT (nonce) DO NOTHING"
)
"""One statement on both backends (PostgreSQL and SQLite ≥ 3.24 share the upsert syntax)."""

CLAIM_NONCE_AND_READ_USER = """
WITH claimed AS (
    INSERT INTO ws_nonce (nonce, login, seen_at)
    SELECT %(nonce)s, %(login)s, %(now)s
    WHERE EXISTS (
        SELECT 1 FROM app_user
        WHERE login = %(login)s AND is_active AND (locked_until IS NULL OR locked_until <= %(now)s)
    )
    ON CONFLICT (nonce) DO NOTHING
    RETURNING 1
)
SELECT a.id, a.login, a.password_hash, a.digest_secret, a.role, a.org_unit_id, a.is_active, a.failed_logins,
       a.locked_until, a.last_login_at, EXISTS (SELECT 1 FROM claimed), scope.units, scope.organizations
FROM app_user AS a
CROSS JOIN LATERAL (
    SELECT array_agg(c.descendant_id) AS units,
           array_agg(c.descendant_id) FILTER (WHERE u.kind = 'organization') AS organizations
    FROM (
        SELECT descendant_id FROM org_unit_closure WHERE ancestor_id = a.org_unit_id
        ORDER BY descendant_id LIMIT %(units)s
    ) AS c
    JOIN org_unit AS u ON u.id = c.descendant_id
) AS scope
WHERE a.login = %(login)s
"""
"""PostgreSQL, psycopg2 parameters. The CTE runs even when no account row matches (then it inserts
nothing). The last two columns are (up to ``PREFETCHED_UNITS`` of) the units the account's scope
holds, and which of them are organizations (NULL when none)."""

PREFETCHED_UNITS = 500
"""A scope check of one of these units needs no query; a subset is enough (others are checked in the database)."""


def psycopg2_connection(session: Session) -> Any | None:
    """The psycopg2 connection under the session's transaction, or None on any other driver.

    Checks the connection out (and begins the session's transaction) like any first statement.
    """
    bind = session.get_bind()
    if bind.dialect.name != "postgresql" or bind.dialect.driver != "psycopg2":
        return None
    return session.connection().connection.dbapi_connection


def read_user(session: Session, login: str) -> Account | None:
    row = session.execute(_USER_BY_LOGIN, {"login": login}).one_or_none()
    return None if row is None else Account(*row)


class Claim(NamedTuple):
    """What the one-trip lookup found."""

    account: Account | None
    nonce_is_new: bool
    units_in_scope: frozenset[int]
    """Units known (as of this statement) to lie within the account's scope; maybe not all of them."""
    organizations_in_scope: frozenset[int]
    """Those of ``units_in_scope`` that are organizations (the others are authorities)."""


def claim_nonce_and_read_user(session: Session, *, login: str, nonce: str, now: dt.datetime) -> Claim | None:
    """Store ``nonce`` for an active, unlocked ``login`` and read its account in one autocommitted
    round trip. None when not possible here (not PostgreSQL, or the session's connection is
    already inside a transaction)."""
    raw = psycopg2_connection(session)
    if raw is None:
        return None
    from psycopg2.extensions import TRANSACTION_STATUS_IDLE

    if raw.get_transaction_status() != TRANSACTION_STATUS_IDLE:
        return None
    autocommit = raw.autocommit  # an engine may run in autocommit already; leave it as found
    raw.autocommit = True
    try:
        row = fetch_one(
            session,
            raw,
            CLAIM_NONCE_AND_READ_USER,
            {"nonce": nonce, "login": login, "now": now, "units": PREFETCHED_UNITS},
        )
    finally:
        if not raw.closed:
            raw.autocommit = autocommit
    if row is None:
        return Claim(None, False, frozenset(), frozenset())
    *fields, claimed, units, organizations = row
    fields[3] = bytes(fields[3])  # bytea arrives as a memoryview
    return Claim(Account(*fields), bool(claimed), frozenset(units or ()), frozenset(organizations or ()))


def fetch_one(session: Session, raw: Any, statement: str, params: dict[str, Any]) -> tuple[Any, ...] | None:
    """Run one statement on the session's psycopg2 connection and return its first row.

    A driver error is raised as SQLAlchemy would raise it; a lost connection is invalidated
    (never pooled again)."""
    from psycopg2 import Error as DriverError

    try:
        with raw.cursor() as cursor:
            cursor.execute(statement, params)
            row: tuple[Any, ...] | None = cursor.fetchone()
            return row
    except DriverError as error:
        raise as_sqlalchemy_error(session.connection(), raw, statement, params, error) from error


def accept_nonce(bind: Engine | Connection, *, nonce: str, login: str, now: dt.datetime) -> bool:
    """Store a nonce in its own committed transaction; False when it was seen before."""
    with Session(bind=bind) as session, session.begin():
        result = session.execute(_ACCEPT_NONCE, {"nonce": nonce, "login": login, "seen_at": now})
        return getattr(result, "rowcount", 1) != 0


def release_nonce(bind: Engine | Connection, nonce: str) -> None:
    """Take back a nonce stored for a call that is then refused (wrong password)."""
    with Session(bind=bind) as session, session.begin():
        session.execute(delete(WsNonce).where(WsNonce.nonce == nonce))


def forget_old_nonces(session: Session, horizon: dt.datetime) -> None:
    """Housekeeping: nonces older than the Created window can never be replayed successfully."""
    session.execute(delete(WsNonce).where(WsNonce.seen_at < horizon))
