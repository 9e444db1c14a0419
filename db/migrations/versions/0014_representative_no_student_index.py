"""legal representatives lose the index on ``student_id``, which their unique key already leads with

A student's representatives are found by ``student_id`` (the intake's links, the student's card, the
cascade from a deleted student): the unique key (student_id, person_id) serves every such read, and the
index on ``student_id`` alone only cost each link written an index entry (100,000 a 100,000-student
packet).

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_legal_representative_student_id", table_name="legal_representative")


def downgrade() -> None:
    op.create_index("ix_legal_representative_student_id", "legal_representative", ["student_id"], unique=False)
