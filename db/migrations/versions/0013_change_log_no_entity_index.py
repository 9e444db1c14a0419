"""the change feed loses the index on (entity, entity_id), which no query reads

Every read of ``change_log`` is a page of the feed – a range of versions, by the primary key
(``usecases.changefeed_snapshots``); the snapshots of a page are joined from the entities' own tables.
The index on the entity served none of them, and every change paid for it at the commit of the
transaction that made it, while the append lock is held (``usecases.changefeed``): a COPY of the
200,000 changes of a 100,000-student packet took 0.64 s with it against 0.36–0.37 s without (PostgreSQL 15,
2026-11-29) – the part of a load's end that nothing else overlaps.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_change_log_entity", table_name="change_log")


def downgrade() -> None:
    op.create_index("ix_change_log_entity", "change_log", ["entity", "entity_id"], unique=False)
