"""mark summaries for the performance reports, kept by triggers

diary_mark_daily, diary_mark_monthly and period_mark_summary count marks per organization and
subject (and day, month, or year/kind/period) by grade. Triggers keep them equal to the marks on every write: statement-level
with transition tables on PostgreSQL (one grouped upsert per statement, also for COPY), row-level
on SQLite. Upserts run in key order so that concurrent writers lock summary rows in one order.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTERS = (
    ("entries", "TRUE"),
    ("counted", "{p}scale_code IN ('five_point', 'na')"),
    ("grade_5", "{p}scale_code = 'five_point' AND {p}raw_value = '5'"),
    ("grade_4", "{p}scale_code = 'five_point' AND {p}raw_value = '4'"),
    ("grade_3", "{p}scale_code = 'five_point' AND {p}raw_value = '3'"),
    ("grade_2", "{p}scale_code = 'five_point' AND {p}raw_value = '2'"),
    ("grade_1", "{p}scale_code = 'five_point' AND {p}raw_value = '1'"),
    ("not_attested", "{p}scale_code = 'na'"),
)
"""Summary column → the condition on a mark row (``{p}``: the row prefix, ``NEW.`` or none)."""

MONTH = {
    "postgresql": "CAST(date_trunc('month', {p}mark_date) AS DATE)",
    "sqlite": "date({p}mark_date, 'start of month')",
}
"""The first day of a diary mark's month, per dialect."""

SUMMARIES = {
    "diary_mark_daily": (
        "diary_mark",
        (("organization_id", "organization_id"), ("subject_id", "subject_id"), ("mark_date", "mark_date")),
    ),
    "diary_mark_monthly": (
        "diary_mark",
        (("organization_id", "organization_id"), ("subject_id", "subject_id"), ("month", "{month}")),
    ),
    "period_mark_summary": (
        "period_mark",
        (
            ("school_year", "school_year"),
            ("organization_id", "organization_id"),
            ("subject_id", "subject_id"),
            ("kind", "kind"),
            ("period_id", "COALESCE({p}study_period_id, 0)"),
        ),
    ),
}
"""Summary table → (mark table, [(key column, expression over a mark row)])."""


def _key_expressions(summary: str, prefix: str) -> list[str]:
    """The key expressions of a summary over a mark row (``prefix``: ``NEW.``, ``OLD.`` or none)."""
    dialect = op.get_bind().dialect.name
    expressions = []
    for _key, expression in SUMMARIES[summary][1]:
        if "{" not in expression:
            expression = "{p}" + expression
        expressions.append(expression.replace("{month}", MONTH[dialect]).format(p=prefix))
    return expressions


def _counter_columns() -> list[sa.Column]:
    return [sa.Column(name, sa.Integer(), nullable=False) for name, _ in COUNTERS]


def _columns(summary: str) -> list[str]:
    return [key for key, _ in SUMMARIES[summary][1]] + [name for name, _ in COUNTERS]


def _merge(summary: str) -> str:
    keys = ", ".join(key for key, _ in SUMMARIES[summary][1])
    updates = ", ".join(f"{name} = {summary}.{name} + excluded.{name}" for name, _ in COUNTERS)
    return f"ON CONFLICT ({keys}) DO UPDATE SET {updates}"


def _grouped(summary: str, source: str, sign: str) -> str:
    """SELECT of the summary columns over ``source`` rows, each counted with ``sign``."""
    keys = _key_expressions(summary, "")
    sums = [f"SUM(CASE WHEN {condition.format(p='')} THEN {sign} ELSE 0 END)" for _, condition in COUNTERS]
    listed = ", ".join(keys)
    return f"SELECT {listed}, {', '.join(sums)} FROM {source} GROUP BY {listed}"


def _postgres_track(summary: str, create: str = "CREATE FUNCTION") -> str:
    """The summary's statement-level trigger function (``create``: how the statement begins)."""
    columns = ", ".join(_columns(summary))
    names = [key for key, _ in SUMMARIES[summary][1]]
    changed = "SELECT *, {sign} AS sign FROM {rows}"
    inserted = _grouped(summary, f"({changed.format(sign=1, rows='new_rows')}) AS c", "c.sign")
    deleted = _grouped(summary, f"({changed.format(sign=-1, rows='old_rows')}) AS c", "c.sign")
    updated = _grouped(
        summary,
        f"({changed.format(sign=1, rows='new_rows')} UNION ALL {changed.format(sign=-1, rows='old_rows')}) AS c",
        "c.sign",
    )
    nonzero = " OR ".join(f"SUM(CASE WHEN {c.format(p='')} THEN c.sign ELSE 0 END) <> 0" for _, c in COUNTERS)
    order = f"ORDER BY {', '.join(str(i + 1) for i in range(len(names)))}"
    return f"""
{create} {summary}_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO {summary} ({columns}) {inserted} {order} {_merge(summary)};
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO {summary} ({columns}) {deleted} {order} {_merge(summary)};
    ELSE
        INSERT INTO {summary} ({columns}) {updated} HAVING {nonzero} {order} {_merge(summary)};
    END IF;
    RETURN NULL;
END $$;
"""


def _postgres_function(summary: str) -> str:
    table = SUMMARIES[summary][0]
    return _postgres_track(summary) + f"""CREATE TRIGGER {summary}_insert AFTER INSERT ON {table}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {summary}_track();
CREATE TRIGGER {summary}_update AFTER UPDATE ON {table}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {summary}_track();
CREATE TRIGGER {summary}_delete AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {summary}_track();
"""


def _sqlite_row(summary: str, row: str, sign: str) -> str:
    prefix = f"{row}."
    keys = _key_expressions(summary, prefix)
    counts = [f"{sign}({condition.format(p=prefix)})" for _, condition in COUNTERS]
    return (
        f"INSERT INTO {summary} ({', '.join(_columns(summary))}) "
        f"VALUES ({', '.join(keys + counts)}) {_merge(summary)};"
    )


def _sqlite_triggers(summary: str) -> list[str]:
    table = SUMMARIES[summary][0]
    return [
        f"CREATE TRIGGER {summary}_insert AFTER INSERT ON {table} BEGIN "
        f"{_sqlite_row(summary, 'NEW', '+')} END",
        f"CREATE TRIGGER {summary}_update AFTER UPDATE ON {table} BEGIN "
        f"{_sqlite_row(summary, 'OLD', '-')} {_sqlite_row(summary, 'NEW', '+')} END",
        f"CREATE TRIGGER {summary}_delete AFTER DELETE ON {table} BEGIN "
        f"{_sqlite_row(summary, 'OLD', '-')} END",
    ]


def upgrade() -> None:
    op.create_table(
        "diary_mark_daily",
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("mark_date", sa.Date(), nullable=False),
        *_counter_columns(),
        sa.PrimaryKeyConstraint("organization_id", "subject_id", "mark_date", name=op.f("pk_diary_mark_daily")),
    )
    with op.batch_alter_table("diary_mark_daily", schema=None) as batch_op:
        batch_op.create_index("ix_diary_mark_daily_date", ["mark_date"], unique=False)
    op.create_table(
        "diary_mark_monthly",
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        *_counter_columns(),
        sa.PrimaryKeyConstraint("organization_id", "subject_id", "month", name=op.f("pk_diary_mark_monthly")),
    )
    op.create_table(
        "period_mark_summary",
        sa.Column("school_year", sa.SmallInteger(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        *_counter_columns(),
        sa.PrimaryKeyConstraint(
            "school_year", "organization_id", "subject_id", "kind", "period_id", name=op.f("pk_period_mark_summary")
        ),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    for summary, (table, _keys) in SUMMARIES.items():
        op.execute(f"INSERT INTO {summary} ({', '.join(_columns(summary))}) {_grouped(summary, table, '1')}")
        if postgres:
            op.execute(_postgres_function(summary))
        else:
            for statement in _sqlite_triggers(summary):
                op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for summary, (table, _keys) in SUMMARIES.items():
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {summary}_{event}" + (f" ON {table}" if postgres else ""))
        if postgres:
            op.execute(f"DROP FUNCTION IF EXISTS {summary}_track() CASCADE")
    op.drop_table("period_mark_summary")
    op.drop_table("diary_mark_monthly")
    with op.batch_alter_table("diary_mark_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_diary_mark_daily_date")
    op.drop_table("diary_mark_daily")
