"""enrolments pre-joined with their students' sex, birth date and citizenship, kept by triggers

report_enrolment holds one narrow row per enrolment with the person attributes the snapshot reports
group by (and the entry and exit reasons the migration reports count), so that counting the
students enrolled on a date reads one narrow table instead of joining enrolment with person.
Triggers keep it equal to enrolment ⋈ person on every write: statement-level with transition
tables on PostgreSQL (also for COPY), row-level on SQLite.
``alone`` marks an enrolment that shares no day with another enrolment of the same student: on any
date it is the student's only active one, so reports count it without de-duplicating students.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENROLMENT_COLUMNS = (
    "student_id",
    "organization_id",
    "class_group_id",
    "entry_date",
    "exit_date",
    "education_level_code",
    "education_form_code",
    "specialty_code",
    "entry_reason_code",
    "exit_reason_code",
)
PERSON_COLUMNS = ("sex", "birth_key", "citizenship_code")
COLUMNS = ", ".join(("enrolment_id", *ENROLMENT_COLUMNS, *PERSON_COLUMNS))
FOREVER = "'9999-12-31'"
R = "report_enrolment"
OVERLAPS = (
    f"o.student_id = {R}.student_id AND o.enrolment_id <> {R}.enrolment_id "
    f"AND o.entry_date < COALESCE({R}.exit_date, {FOREVER}) AND {R}.entry_date < COALESCE(o.exit_date, {FOREVER})"
)
"""Enrolment ``o`` of the same student shares a day with the updated row (each active from entry to exit);
no alias for the updated table: SQLite allows none in a trigger."""

BIRTH_KEY = {
    "postgresql": "CAST(to_char({p}birth_date, 'YYYYMMDD') AS INTEGER)",
    "sqlite": "CAST(strftime('%Y%m%d', {p}birth_date) AS INTEGER)",
}
"""A person's birth date as the number YYYYMMDD, per dialect (``{p}``: the row prefix)."""


def _birth_key(prefix: str) -> str:
    return BIRTH_KEY[op.get_bind().dialect.name].format(p=prefix)


def _select(enrolment: str, source: str) -> str:
    """SELECT of the report_enrolment columns over enrolment rows ``enrolment`` joined with person."""
    prefix = f"{enrolment}." if enrolment else "e."
    values = ", ".join(f"{prefix}{column}" for column in ("id", *ENROLMENT_COLUMNS))
    person = f"p.sex, {_birth_key('p.')}, p.citizenship_code"
    joined = f"FROM {source} e JOIN person p ON p.id = e.student_id" if source else (
        f"FROM person p WHERE p.id = {prefix}student_id"
    )
    return f"SELECT {values}, {person} {joined}"


def _realone(students: str) -> str:
    """UPDATE of ``alone`` for every enrolment of the students ``students`` selects, where it changed."""
    alone = f"NOT EXISTS (SELECT 1 FROM report_enrolment o WHERE {OVERLAPS})"
    return (
        f"UPDATE {R} SET alone = {alone} WHERE {R}.student_id IN ({students}) AND {R}.alone <> ({alone});"
    )


def _postgres_functions() -> str:
    return f"""
CREATE FUNCTION report_enrolment_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM report_enrolment WHERE enrolment_id IN (SELECT id FROM old_rows);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO report_enrolment ({COLUMNS}) {_select("", "new_rows")} ORDER BY e.id;
    END IF;
    IF TG_OP = 'INSERT' THEN
        {_realone("SELECT student_id FROM new_rows")}
    ELSIF TG_OP = 'DELETE' THEN
        {_realone("SELECT student_id FROM old_rows")}
    ELSE
        {_realone("SELECT student_id FROM new_rows UNION SELECT student_id FROM old_rows")}
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER report_enrolment_insert AFTER INSERT ON enrolment
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_enrolment_track();
CREATE TRIGGER report_enrolment_update AFTER UPDATE ON enrolment
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION report_enrolment_track();
CREATE TRIGGER report_enrolment_delete AFTER DELETE ON enrolment
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION report_enrolment_track();
CREATE FUNCTION report_enrolment_person() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE report_enrolment r
       SET sex = p.sex, birth_key = {_birth_key('p.')}, citizenship_code = p.citizenship_code
      FROM new_rows p
     WHERE r.student_id = p.id
       AND (r.sex, r.birth_key, r.citizenship_code) IS DISTINCT FROM (p.sex, {_birth_key('p.')}, p.citizenship_code);
    RETURN NULL;
END $$;
CREATE TRIGGER report_enrolment_person AFTER UPDATE ON person
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_enrolment_person();
"""


def _sqlite_triggers() -> list[str]:
    insert = f"INSERT INTO report_enrolment ({COLUMNS}) {_select('NEW', '')};"
    delete = "DELETE FROM report_enrolment WHERE enrolment_id = OLD.id;"
    person = (
        f"UPDATE report_enrolment SET sex = NEW.sex, birth_key = {_birth_key('NEW.')}, "
        "citizenship_code = NEW.citizenship_code WHERE student_id = NEW.id;"
    )
    new, old = _realone("NEW.student_id"), _realone("OLD.student_id")
    return [
        f"CREATE TRIGGER report_enrolment_insert AFTER INSERT ON enrolment BEGIN {insert} {new} END",
        f"CREATE TRIGGER report_enrolment_update AFTER UPDATE ON enrolment BEGIN {delete} {insert} {old} {new} END",
        f"CREATE TRIGGER report_enrolment_delete AFTER DELETE ON enrolment BEGIN {delete} {old} END",
        "CREATE TRIGGER report_enrolment_person AFTER UPDATE OF sex, birth_date, citizenship_code ON person "
        f"BEGIN {person} END",
    ]


def upgrade() -> None:
    op.create_table(
        "report_enrolment",
        sa.Column("enrolment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("student_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("class_group_id", sa.Integer(), nullable=True),
        sa.Column("entry_date", sa.Date(), nullable=False),
        sa.Column("exit_date", sa.Date(), nullable=True),
        sa.Column("education_level_code", sa.String(length=10), nullable=True),
        sa.Column("education_form_code", sa.String(length=2), nullable=True),
        sa.Column("specialty_code", sa.String(length=10), nullable=True),
        sa.Column("entry_reason_code", sa.String(length=10), nullable=False),
        sa.Column("exit_reason_code", sa.String(length=10), nullable=True),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("birth_key", sa.Integer(), nullable=False),
        sa.Column("citizenship_code", sa.String(length=2), nullable=True),
        sa.Column("alone", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.PrimaryKeyConstraint("enrolment_id", name=op.f("pk_report_enrolment")),
    )
    op.execute(f"INSERT INTO report_enrolment ({COLUMNS}) {_select('', 'enrolment')}")
    with op.batch_alter_table("report_enrolment", schema=None) as batch_op:
        batch_op.create_index("ix_report_enrolment_organization", ["organization_id"], unique=False)
        batch_op.create_index("ix_report_enrolment_student", ["student_id"], unique=False)
    op.execute(_realone("SELECT student_id FROM enrolment GROUP BY student_id HAVING COUNT(*) > 1"))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_postgres_functions())
    else:
        for statement in _sqlite_triggers():
            op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for trigger, table in (
        ("report_enrolment_insert", "enrolment"),
        ("report_enrolment_update", "enrolment"),
        ("report_enrolment_delete", "enrolment"),
        ("report_enrolment_person", "person"),
    ):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}" + (f" ON {table}" if postgres else ""))
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS report_enrolment_track() CASCADE")
        op.execute("DROP FUNCTION IF EXISTS report_enrolment_person() CASCADE")
    with op.batch_alter_table("report_enrolment", schema=None) as batch_op:
        batch_op.drop_index("ix_report_enrolment_student")
        batch_op.drop_index("ix_report_enrolment_organization")
    op.drop_table("report_enrolment")
