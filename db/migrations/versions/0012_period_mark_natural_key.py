"""period marks are keyed by what they are a mark of, not by a surrogate id

Why: a period mark is found by its key – student, subject, school year, kind and study period – by
every read (the ЕПГУ contract, the student's history, a packet's resent marks) and nothing refers to
it, yet each mark paid for two index entries: its ``id`` and the unique key. A COPY of 2,000,000 quarter
marks took 3.96 s with both indexes and 2.88 s with the key alone (PostgreSQL 15, 2026-11-29), and the
load took the ids from the sequence on a connection of its own (0.9 s of the server). The key becomes
the primary key and the id goes.

A key's columns cannot be NULL, and an annual or final mark has no study period: ``period_key`` is
the study period's id for a period mark and 0 for the others (as ``period_mark_summary.period_id``),
kept equal to ``study_period_id`` by a check. The unique key it replaces held NULLs as distinct, so an
annual or final mark could be stored twice under one key; of such rows the one written last (the
largest id) is kept – the one a packet's update found – and the others are deleted (the summaries'
triggers count them out).

On PostgreSQL the key checks of an UPDATE (migrations 0007, 0010) paired a statement's old and new rows by
their id: they pair them by the primary key.

SQLite rebuilds the table (``batch_alter_table``), which drops its triggers: those of the summaries
(migration 0003) are made again. The downgrade numbers the marks again from a new sequence.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29
"""

import importlib
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SUMMARIES = importlib.import_module("db.migrations.versions.0003_report_aggregates")
_KEYS = importlib.import_module("db.migrations.versions.0007_set_based_keys")
_CHECKS = importlib.import_module("db.migrations.versions.0010_keys_checked_in_one_query")

KEY = ("student_id", "subject_id", "school_year", "kind", "period_key")
OLD_UNIQUE = ("student_id", "subject_id", "school_year", "kind", "study_period_id")
OLD_UNIQUE_NAME = "uq_period_mark_student_id_subject_id_school_year_kind_study_period_id"
CHECK = "period_key = coalesce(study_period_id, 0)"


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _changed_by_key(key: Any, operation: str) -> str:
    """0010's check of a key, an UPDATE's old and new rows paired by the primary key instead of the id
    (a row whose key changed has no old row with its key: it is checked, as one whose id changed was)."""
    check = str(_CHECKS._check_once(key, operation))
    if operation == "INSERT":
        return check
    by_id = "o.id = n.id"
    assert by_id in check, "0010's check of an UPDATE pairs the old and new rows by their id"
    return check.replace(by_id, " AND ".join(f"o.{name} = n.{name}" for name in KEY))


def _key_functions(check: Callable[[Any, str], str]) -> str:
    """``CREATE OR REPLACE`` of ``period_mark``'s key checks (migration 0007), made by ``check``."""
    keys = [key for key in _KEYS.KEYS if key.table == "period_mark"]
    return str(_KEYS._child_functions("period_mark", keys, check, "CREATE OR REPLACE FUNCTION"))


def _sqlite_summary_triggers() -> None:
    for statement in _SUMMARIES._sqlite_triggers("period_mark_summary"):
        op.execute(statement)


def upgrade() -> None:
    op.add_column("period_mark", sa.Column("period_key", sa.Integer(), nullable=True))
    op.execute("UPDATE period_mark SET period_key = coalesce(study_period_id, 0)")
    same_key = " AND ".join(f"n.{name} = period_mark.{name}" for name in KEY)
    op.execute(f"DELETE FROM period_mark WHERE EXISTS (SELECT 1 FROM period_mark AS n WHERE {same_key} "  # noqa: S608
               "AND n.id > period_mark.id)")
    if _postgres():
        op.alter_column("period_mark", "period_key", nullable=False)
        op.drop_constraint(op.f(OLD_UNIQUE_NAME), "period_mark", type_="unique")
        op.drop_constraint("pk_period_mark", "period_mark", type_="primary")
        op.drop_column("period_mark", "id")  # its sequence with it
        op.create_primary_key("pk_period_mark", "period_mark", list(KEY))
        op.create_check_constraint(op.f("ck_period_mark_period_key"), "period_mark", CHECK)
        op.execute(_key_functions(_changed_by_key))
        return
    with op.batch_alter_table("period_mark", recreate="always") as batch:
        batch.alter_column("period_key", existing_type=sa.Integer(), nullable=False)
        batch.drop_constraint(op.f(OLD_UNIQUE_NAME), type_="unique")
        batch.drop_constraint("pk_period_mark", type_="primary")
        batch.drop_column("id")
        batch.create_primary_key("pk_period_mark", list(KEY))
        batch.create_check_constraint(op.f("ck_period_mark_period_key"), CHECK)
    _sqlite_summary_triggers()


def downgrade() -> None:
    if _postgres():
        op.drop_constraint("pk_period_mark", "period_mark", type_="primary")
        op.execute("ALTER TABLE period_mark ADD COLUMN id BIGSERIAL")
        op.create_primary_key("pk_period_mark", "period_mark", ["id"])
        op.create_unique_constraint(op.f(OLD_UNIQUE_NAME), "period_mark", list(OLD_UNIQUE))
        op.drop_constraint(op.f("ck_period_mark_period_key"), "period_mark", type_="check")
        op.drop_column("period_mark", "period_key")
        op.execute(_key_functions(_CHECKS._check_once))
        return
    with op.batch_alter_table("period_mark", recreate="always") as batch:
        batch.drop_constraint("pk_period_mark", type_="primary")
        batch.drop_constraint(op.f("ck_period_mark_period_key"), type_="check")
        batch.add_column(sa.Column("id", sa.Integer(), nullable=False))  # filled as the table's rowid
        batch.create_primary_key("pk_period_mark", ["id"])
        batch.create_unique_constraint(op.f(OLD_UNIQUE_NAME), list(OLD_UNIQUE))
        batch.drop_column("period_key")
    _sqlite_summary_triggers()
