"""authorship columns without foreign keys; field provenance as one row per record and provider

Why: the marks' writer organization and source system and the provenance's system and packet only
name who wrote a row. Organizations and systems are deactivated, never deleted, and packets are
kept, so these keys never refused anything, while PostgreSQL checked each of them with one query
per row written – two of five lookups per mark and both lookups per provenance row of every load.
The data keys (student, subject, study period, class) stay.

``field_provenance`` keeps one row per record and provider with the set of fields that provider
wrote last (``fields``, names separated by a space) and the packet and time of its latest write,
instead of one row per field: a new student with a representative and an enrolment writes 3 rows
instead of 16. Existing rows are grouped per (entity, entity id, system); the group keeps the
packet and time of its latest row. The downgrade splits them back into one row per field.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

import importlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
AUTHORSHIP_KEYS = (
    ("diary_mark", "organization_id", "organization"),
    ("diary_mark", "source_system_id", "info_system"),
    ("period_mark", "organization_id", "organization"),
    ("period_mark", "source_system_id", "info_system"),
)
"""(table, column, referred table) of the keys that go."""
SUMMARIES = {"diary_mark": ("diary_mark_daily", "diary_mark_monthly"), "period_mark": ("period_mark_summary",)}
"""The report summaries kept by triggers on each mark table (migration 0003): SQLite's batch mode
rebuilds the table, which drops its triggers, so they are made again."""
AGGREGATE = {
    "postgresql": "string_agg(field, ' ' ORDER BY field)",
    "sqlite": "group_concat(field, ' ')",
}
"""The field names of a group separated by a space, per dialect."""
SPLIT_BATCH = 5000


def _key_name(table: str, column: str, referred: str) -> str:
    return f"fk_{table}_{column}_{referred}"


def _sqlite_summary_triggers(table: str) -> None:
    summaries = importlib.import_module("db.migrations.versions.0003_report_aggregates")
    for summary in SUMMARIES[table]:
        for statement in summaries._sqlite_triggers(summary):
            op.execute(statement)


def _drop_authorship_keys() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in SUMMARIES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            for key_table, column, referred in AUTHORSHIP_KEYS:
                if key_table == table:
                    batch_op.drop_constraint(_key_name(table, column, referred), type_="foreignkey")
        if not postgres:
            _sqlite_summary_triggers(table)


def _restore_authorship_keys() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in SUMMARIES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            for key_table, column, referred in AUTHORSHIP_KEYS:
                if key_table == table:
                    batch_op.create_foreign_key(_key_name(table, column, referred), referred, [column], ["id"])
        if not postgres:
            _sqlite_summary_triggers(table)


def upgrade() -> None:
    _drop_authorship_keys()
    op.create_table(
        "field_provenance_rows",
        sa.Column("entity", sa.String(length=50), nullable=False),
        sa.Column("entity_id", BIG_ID, nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("packet_id", BIG_ID, nullable=True),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("entity", "entity_id", "system_id", name=op.f("pk_field_provenance_rows")),
    )
    aggregate = AGGREGATE[op.get_bind().dialect.name]
    op.execute(
        "INSERT INTO field_provenance_rows (entity, entity_id, system_id, fields, packet_id, written_at) "
        "SELECT f.entity, f.entity_id, f.system_id, f.fields, l.packet_id, l.written_at "
        f"FROM (SELECT entity, entity_id, system_id, {aggregate} AS fields "
        "      FROM (SELECT * FROM field_provenance ORDER BY entity, entity_id, system_id, field) AS o "
        "      GROUP BY entity, entity_id, system_id) AS f "
        "JOIN (SELECT entity, entity_id, system_id, packet_id, written_at, row_number() OVER ("
        "        PARTITION BY entity, entity_id, system_id ORDER BY written_at DESC, packet_id DESC) AS n "
        "      FROM field_provenance) AS l "
        "  ON l.entity = f.entity AND l.entity_id = f.entity_id AND l.system_id = f.system_id AND l.n = 1"
    )
    op.drop_table("field_provenance")
    op.rename_table("field_provenance_rows", "field_provenance")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE field_provenance RENAME CONSTRAINT pk_field_provenance_rows TO pk_field_provenance")


def downgrade() -> None:
    op.create_table(
        "field_provenance_fields",
        sa.Column("entity", sa.String(length=50), nullable=False),
        sa.Column("entity_id", BIG_ID, nullable=False),
        sa.Column("field", sa.String(length=100), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column("packet_id", BIG_ID, nullable=True),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
    )
    bind = op.get_bind()
    rows = sa.table("field_provenance_fields", *(sa.column(name) for name in (
        "entity", "entity_id", "field", "system_id", "packet_id", "written_at")))
    last: tuple[object, ...] = ()
    while True:  # keyset pages: every record's row split into one row per field
        query = ("SELECT entity, entity_id, system_id, fields, packet_id, written_at FROM field_provenance "
                 + ("WHERE (entity, entity_id, system_id) > (:e, :i, :s) " if last else "")
                 + f"ORDER BY entity, entity_id, system_id LIMIT {SPLIT_BATCH}")
        params = dict(zip(("e", "i", "s"), last, strict=True)) if last else {}
        page = bind.execute(sa.text(query), params).all()
        if not page:
            break
        split = [
            {"entity": e, "entity_id": i, "field": name, "system_id": s, "packet_id": p, "written_at": w}
            for e, i, s, fields, p, w in page for name in fields.split()
        ]
        if split:
            bind.execute(sa.insert(rows), split)
        last = tuple(page[-1][:3])
    op.drop_table("field_provenance")
    op.rename_table("field_provenance_fields", "field_provenance")
    with op.batch_alter_table("field_provenance", schema=None) as batch_op:
        batch_op.create_primary_key("pk_field_provenance", ["entity", "entity_id", "field"])
        batch_op.create_foreign_key("fk_field_provenance_packet_id_packet", "packet", ["packet_id"], ["id"])
        batch_op.create_foreign_key("fk_field_provenance_system_id_info_system", "info_system", ["system_id"], ["id"])
    _restore_authorship_keys()
