"""the data keys of a statement's rows are counted and locked in one query a key (PostgreSQL)

Why: the statement-level key checks of migration 0007 read the statement's rows twice a key – once to
count the distinct values named, once to lock and count the rows found. A packet's quarter marks go in
by COPY of 20,000 rows, and the server writing them is now what a load waits for (the loader's thread
waits for room in its queue of writes): each of the three keys of ``period_mark`` scanned and hashed the
20,000 rows twice. Here one query counts both – every distinct value named, joined (``LEFT JOIN LATERAL``)
to the row it names, locked ``FOR KEY SHARE`` in id order as before – and the check raises as before
when fewer rows were found than values named. The functions keep their names and triggers; only the
child-side bodies (``*_keys_insert``, ``*_keys_update``) change.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

import importlib
from collections.abc import Callable, Sequence
from typing import Any

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEYS = importlib.import_module("db.migrations.versions.0007_set_based_keys")


def _check_once(key: Any, operation: str) -> str:
    """Count the distinct values named and lock and count the rows found in one pass; raise as 0007 does."""
    values = _KEYS._named(key, operation)
    return f"""
    SELECT count(*), count(l.id) INTO named, found FROM (SELECT v.id FROM ({values}) AS v ORDER BY v.id) AS v
      LEFT JOIN LATERAL (SELECT p.id FROM {key.referred} p WHERE p.id = v.id OFFSET 0 FOR KEY SHARE OF p) AS l ON true;
    IF found < named THEN{_KEYS._raise_missing(key, values)}
    END IF;"""


def _functions(check: Callable[[Any, str], str]) -> str:
    """``CREATE OR REPLACE`` of every table's child-side functions, their checks made by ``check``."""
    return "".join(_KEYS._child_functions(table, keys, check, "CREATE OR REPLACE FUNCTION")
                   for table, keys in _KEYS._by_table(_KEYS.KEYS))


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_functions(_check_once))


def downgrade() -> None:
    """The bodies of migration 0007."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_functions(_KEYS._child_check))
