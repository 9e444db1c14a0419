"""the report triggers of enrolments and students read the rows they need by key, whatever the statistics say

Why: the statement-level triggers of migrations 0004 (``report_enrolment``) and 0005
(``student_surname``) join the statement's rows with ``person`` and ``report_enrolment``. When a
large load fills those tables in one transaction, the planner still sees them as they were before
it (often empty: a region's first load, a test or benchmark database) and chooses to scan them
whole, once a statement – so each slice of a load cost more than the one before (a packet of
100,000 students: 7.5 s of the server in ``alone`` updates, which evaluated their sub-query for every
enrolment of the table on every statement, and 4.5 s in the joins with ``person``). Here each row
of the statement probes the table by its key in a ``LATERAL`` sub-query kept apart with
``OFFSET 0``, so the work is proportional to the statement's rows on every plan; the ``alone``
flags are recomputed for the enrolments of the statement's students only, found by their index,
and the rows that change are updated one by one by key. The functions keep their names and
triggers; only their bodies change.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

import importlib
from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FOREVER = "'9999-12-31'"
R = "report_enrolment"
ENROLMENT_COLUMNS = (
    "student_id", "organization_id", "class_group_id", "entry_date", "exit_date", "education_level_code",
    "education_form_code", "specialty_code", "entry_reason_code", "exit_reason_code",
)
COLUMNS = ", ".join(("enrolment_id", *ENROLMENT_COLUMNS, "sex", "birth_key", "citizenship_code"))
BIRTH_KEY = "CAST(to_char(p.birth_date, 'YYYYMMDD') AS INTEGER)"

INSERT_REPORT_ROWS = f"""
        INSERT INTO {R} ({COLUMNS})
        SELECT e.id, {", ".join(f"e.{c}" for c in ENROLMENT_COLUMNS)}, p.sex, {BIRTH_KEY}, p.citizenship_code
          FROM new_rows e
          CROSS JOIN LATERAL (SELECT * FROM person p WHERE p.id = e.student_id OFFSET 0) p
         ORDER BY e.id;"""


def _realone(students: str) -> str:
    """Recompute ``alone`` of every enrolment of the students ``students`` selects; write it where it changed."""
    return f"""
    FOR changed IN
        SELECT c.enrolment_id, c.alone FROM (
            SELECT x.enrolment_id, x.alone AS was,
                   NOT EXISTS (SELECT 1 FROM {R} o
                                WHERE o.student_id = x.student_id AND o.enrolment_id <> x.enrolment_id
                                  AND o.entry_date < COALESCE(x.exit_date, {FOREVER})
                                  AND x.entry_date < COALESCE(o.exit_date, {FOREVER})) AS alone
              FROM (SELECT DISTINCT student_id FROM ({students}) AS affected) s
              CROSS JOIN LATERAL (SELECT * FROM {R} x WHERE x.student_id = s.student_id OFFSET 0) x
        ) c WHERE c.alone <> c.was
    LOOP
        UPDATE {R} SET alone = changed.alone WHERE enrolment_id = changed.enrolment_id;
    END LOOP;"""


POSTGRES = f"""
CREATE OR REPLACE FUNCTION report_enrolment_track() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed record;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        FOR changed IN SELECT id FROM old_rows LOOP
            DELETE FROM {R} WHERE enrolment_id = changed.id;
        END LOOP;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN{INSERT_REPORT_ROWS}
    END IF;
    IF TG_OP = 'INSERT' THEN{_realone("SELECT student_id FROM new_rows")}
    ELSIF TG_OP = 'DELETE' THEN{_realone("SELECT student_id FROM old_rows")}
    ELSE{_realone("SELECT student_id FROM new_rows UNION SELECT student_id FROM old_rows")}
    END IF;
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION report_enrolment_person() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed record;
BEGIN
    FOR changed IN
        SELECT x.enrolment_id, p.sex, {BIRTH_KEY} AS birth_key, p.citizenship_code FROM new_rows p
         CROSS JOIN LATERAL (SELECT * FROM {R} x WHERE x.student_id = p.id OFFSET 0) x
         WHERE (x.sex, x.birth_key, x.citizenship_code) IS DISTINCT FROM (p.sex, {BIRTH_KEY}, p.citizenship_code)
    LOOP
        UPDATE {R} SET sex = changed.sex, birth_key = changed.birth_key, citizenship_code = changed.citizenship_code
         WHERE enrolment_id = changed.enrolment_id;
    END LOOP;
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION student_surname_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO student_surname (student_id, surname_norm)
    SELECT p.id, p.last_name_norm FROM new_rows s
     CROSS JOIN LATERAL (SELECT id, last_name_norm FROM person p WHERE p.id = s.id OFFSET 0) p;
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION student_surname_person() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed record;
BEGIN
    FOR changed IN
        SELECT x.student_id, p.last_name_norm FROM new_rows p
         CROSS JOIN LATERAL (SELECT * FROM student_surname x WHERE x.student_id = p.id OFFSET 0) x
         WHERE x.surname_norm IS DISTINCT FROM p.last_name_norm
    LOOP
        UPDATE student_surname SET surname_norm = changed.last_name_norm WHERE student_id = changed.student_id;
    END LOOP;
    RETURN NULL;
END $$;
"""
"""New bodies of the four functions (same names, same triggers). Rows are found by probes and
changed one by one by key – only those that change (an ``alone`` flag, a person's attributes or
surname), rare in a load – so that a row another transaction changed meanwhile is found again by
its key, as a plain ``UPDATE … WHERE key`` does."""

FUNCTIONS = ("report_enrolment_track", "report_enrolment_person", "student_surname_insert", "student_surname_person")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES)


def downgrade() -> None:
    """The bodies of migrations 0004 and 0005 (their functions made again, with their triggers)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    report = importlib.import_module("db.migrations.versions.0004_report_enrolment")
    surname = importlib.import_module("db.migrations.versions.0005_student_surname")
    for name in (*FUNCTIONS, "student_surname_delete"):
        op.execute(f"DROP FUNCTION IF EXISTS {name}() CASCADE")
    op.execute(report._postgres_functions())
    op.execute(surname.POSTGRES)
