"""students' normalized surnames, kept by triggers, for counting a surname-prefix search

student_surname holds one narrow row per student with its person's ``last_name_norm``, so that the
total of a surname-prefix search walks an index of students only instead of every person with the
prefix joined to student. Triggers keep it equal to student ⋈ person: statement-level with
transition tables on PostgreSQL (also for COPY), row-level on SQLite.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSTGRES = """
CREATE FUNCTION student_surname_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO student_surname (student_id, surname_norm)
    SELECT p.id, p.last_name_norm FROM new_rows s JOIN person p ON p.id = s.id;
    RETURN NULL;
END $$;
CREATE FUNCTION student_surname_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM student_surname WHERE student_id IN (SELECT id FROM old_rows);
    RETURN NULL;
END $$;
CREATE FUNCTION student_surname_person() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE student_surname s SET surname_norm = p.last_name_norm
      FROM new_rows p
     WHERE s.student_id = p.id AND s.surname_norm IS DISTINCT FROM p.last_name_norm;
    RETURN NULL;
END $$;
CREATE TRIGGER student_surname_insert AFTER INSERT ON student
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION student_surname_insert();
CREATE TRIGGER student_surname_delete AFTER DELETE ON student
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION student_surname_delete();
CREATE TRIGGER student_surname_person AFTER UPDATE ON person
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION student_surname_person();
"""

SQLITE = (
    "CREATE TRIGGER student_surname_insert AFTER INSERT ON student BEGIN "
    "INSERT INTO student_surname (student_id, surname_norm) SELECT id, last_name_norm FROM person WHERE id = NEW.id; "
    "END",
    "CREATE TRIGGER student_surname_delete AFTER DELETE ON student BEGIN "
    "DELETE FROM student_surname WHERE student_id = OLD.id; END",
    "CREATE TRIGGER student_surname_person AFTER UPDATE OF last_name_norm ON person BEGIN "
    "UPDATE student_surname SET surname_norm = NEW.last_name_norm WHERE student_id = NEW.id; END",
)
TRIGGERS = (
    ("student_surname_insert", "student"),
    ("student_surname_delete", "student"),
    ("student_surname_person", "person"),
)


def upgrade() -> None:
    op.create_table(
        "student_surname",
        sa.Column("student_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("surname_norm", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("student_id", name=op.f("pk_student_surname")),
    )
    op.execute(
        "INSERT INTO student_surname (student_id, surname_norm) "
        "SELECT s.id, p.last_name_norm FROM student s JOIN person p ON p.id = s.id"
    )
    with op.batch_alter_table("student_surname", schema=None) as batch_op:
        batch_op.create_index("ix_student_surname_norm", ["surname_norm"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES)
    else:
        for statement in SQLITE:
            op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for trigger, table in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}" + (f" ON {table}" if postgres else ""))
    if postgres:
        for trigger, _table in TRIGGERS:
            op.execute(f"DROP FUNCTION IF EXISTS {trigger}() CASCADE")
    with op.batch_alter_table("student_surname", schema=None) as batch_op:
        batch_op.drop_index("ix_student_surname_norm")
    op.drop_table("student_surname")
