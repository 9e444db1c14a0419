"""the data keys of the rows a load writes, checked once a statement on PostgreSQL instead of once a row

Why: a load writes a person, a student, an enrolment, a representative and about twenty marks a
student, and PostgreSQL checks a foreign key with one query per row and key written (the
``RI_FKey_check`` trigger runs ``SELECT … FOR KEY SHARE`` through SPI): the three keys of
``period_mark`` alone were more than half of the server's CPU in a load (0.70 → 0.32 ms a student
at 20,000 students when they became set-based); the sixteen keys of the people's tables were 30 %
of the server's CPU of an Excel upload.

On PostgreSQL each key in ``KEYS`` is replaced by triggers that keep its meaning:
- child side, once a statement (``AFTER INSERT`` / ``AFTER UPDATE`` with the statement's rows as
  transition tables): the distinct rows the new values name are locked ``FOR KEY SHARE`` in id
  order, as the built-in check locks them, and counted; if fewer exist than are named, the
  statement fails with ``foreign_key_violation`` (SQLSTATE 23503) naming the constraint and a
  missing value. An UPDATE checks only the rows whose value changed, as the built-in check does.
  A COPY of 20,000 marks locks its 1,000 students once each instead of querying 20,000 times;
- parent side: ``ON DELETE CASCADE`` keys delete the children of the deleted rows in one
  statement, then ``NO ACTION`` keys refuse the delete while children remain; a changed id of a
  referenced row is refused; ``TRUNCATE`` of a parent fails while children remain (truncate both
  in one statement).
Deleting a parent relies on READ COMMITTED (each statement of the trigger sees what was
committed before it; the application runs at that level) to see children inserted concurrently:
the inserting transaction's lock makes the delete wait for its commit.

SQLite keeps its ordinary foreign keys: it checks a key with one index probe, at no SPI cost.
The models declare every key; ``KEYS`` is the list the schema comparison leaves aside on PostgreSQL.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import groupby

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


@dataclass(frozen=True)
class Key:
    """A foreign key ``table.column → referred.id`` checked once a statement."""

    table: str
    column: str
    referred: str
    cascade: bool
    """``ON DELETE CASCADE`` (otherwise ``NO ACTION``)."""

    @property
    def name(self) -> str:
        return f"fk_{self.table}_{self.column}_{self.referred}"


KEYS = (
    Key("diary_mark", "class_group_id", "class_group", cascade=False),
    Key("diary_mark", "student_id", "student", cascade=True),
    Key("diary_mark", "subject_id", "local_subject", cascade=False),
    Key("enrolment", "class_group_id", "class_group", cascade=False),
    Key("enrolment", "organization_id", "organization", cascade=False),
    Key("enrolment", "source_packet_id", "packet", cascade=False),
    Key("enrolment", "source_system_id", "info_system", cascade=False),
    Key("enrolment", "student_id", "student", cascade=True),
    Key("identity_document", "person_id", "person", cascade=True),
    Key("legal_representative", "person_id", "person", cascade=False),
    Key("legal_representative", "student_id", "student", cascade=True),
    Key("period_mark", "student_id", "student", cascade=True),
    Key("period_mark", "study_period_id", "study_period", cascade=False),
    Key("period_mark", "subject_id", "local_subject", cascade=False),
    Key("person_address", "address_id", "address", cascade=False),
    Key("person_address", "person_id", "person", cascade=True),
    Key("student", "current_class_group_id", "class_group", cascade=False),
    Key("student", "current_organization_id", "organization", cascade=False),
    Key("student", "id", "person", cascade=True),
    Key("student", "source_packet_id", "packet", cascade=False),
    Key("student", "source_system_id", "info_system", cascade=False),
)
"""Every key of the tables a load writes row by row (a table's keys in one trigger function)."""


def _by_table(keys: Sequence[Key]) -> list[tuple[str, list[Key]]]:
    return [(table, list(group)) for table, group in groupby(sorted(keys, key=lambda k: k.table), lambda k: k.table)]


def _by_referred(keys: Sequence[Key]) -> list[tuple[str, list[Key]]]:
    ordered = sorted(keys, key=lambda k: (k.referred, k.table, k.column))
    return [(referred, list(group)) for referred, group in groupby(ordered, lambda k: k.referred)]


def _named(key: Key, operation: str) -> str:
    """The distinct values of ``key`` the statement's rows name: all of an INSERT's, and those an
    UPDATE changed (a row whose id changed has no old row with its id: it is checked too)."""
    changed = "" if operation == "INSERT" else (
        f" AND NOT EXISTS (SELECT 1 FROM old_rows o WHERE o.id = n.id AND o.{key.column} = n.{key.column})"
    )
    return f"SELECT DISTINCT n.{key.column} AS id FROM new_rows n WHERE n.{key.column} IS NOT NULL{changed}"


def _child_check(key: Key, operation: str) -> str:
    """Lock the distinct rows named (id order, each probed by its key: the planner may think the
    referred table tiny while a load fills it); if fewer were found than are named, raise for a
    value that names none."""
    values = _named(key, operation)
    return f"""
    SELECT count(*) INTO named FROM ({values}) AS v;
    IF named > 0 THEN
        SELECT count(*) INTO found FROM (SELECT v.id FROM ({values}) AS v ORDER BY v.id) AS v
         CROSS JOIN LATERAL (SELECT p.id FROM {key.referred} p WHERE p.id = v.id OFFSET 0 FOR KEY SHARE OF p) AS l;
        IF found < named THEN{_raise_missing(key, values)}
        END IF;
    END IF;"""


def _raise_missing(key: Key, values: str) -> str:
    """Raise ``foreign_key_violation`` for a value of ``values`` that names no row."""
    return f"""
            SELECT v.id::text INTO missing FROM ({values}) AS v
             WHERE NOT EXISTS (SELECT 1 FROM {key.referred} p WHERE p.id = v.id) LIMIT 1;
            RAISE EXCEPTION 'insert or update on table "{key.table}" violates foreign key constraint "{key.name}"'
                USING ERRCODE = 'foreign_key_violation', CONSTRAINT = '{key.name}', TABLE = '{key.table}',
                      COLUMN = '{key.column}',
                      DETAIL = format('Key ({key.column})=(%s) is not present in table "{key.referred}".', missing);"""


def _still_referenced(key: Key, rows: str) -> str:
    """Raise when a row of ``rows`` (ids of the parent) is still referred to by ``key``."""
    return f"""
    SELECT o.id::text INTO referenced FROM {rows} o
     WHERE EXISTS (SELECT 1 FROM {key.table} c WHERE c.{key.column} = o.id) LIMIT 1;
    IF referenced IS NOT NULL THEN
        RAISE EXCEPTION 'update or delete on table "{key.referred}" violates foreign key constraint "{key.name}" on table "{key.table}"'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = '{key.name}', TABLE = '{key.table}',
                  DETAIL = format('Key (id)=(%s) is still referenced from table "{key.table}".', referenced);
    END IF;"""


def _child_functions(
    table: str, keys: Sequence[Key], check: Callable[[Key, str], str], create: str = "CREATE FUNCTION"
) -> str:
    """The child-side functions of ``table`` (``*_keys_insert``, ``*_keys_update``), their checks made by ``check``."""
    functions = []
    for operation in ("INSERT", "UPDATE"):
        checks = "".join(check(key, operation) for key in keys)
        suffix = operation.lower()
        functions.append(f"""
{create} {table}_keys_{suffix}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    named bigint;
    found bigint;
    missing text;
BEGIN{checks}
    RETURN NULL;
END $$;""")
    return "".join(functions)


def _postgres_child(table: str, keys: Sequence[Key]) -> str:
    return _child_functions(table, keys, _child_check) + f"""
CREATE TRIGGER {table}_keys_insert AFTER INSERT ON {table}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {table}_keys_insert();
CREATE TRIGGER {table}_keys_update AFTER UPDATE ON {table}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {table}_keys_update();
"""


def _postgres_parent(referred: str, keys: Sequence[Key]) -> str:
    cascades = "".join(
        f"\n    DELETE FROM {key.table} WHERE {key.column} IN (SELECT id FROM old_rows);" for key in keys if key.cascade
    )
    on_delete = cascades + "".join(_still_referenced(key, "old_rows") for key in keys if not key.cascade)
    on_key_change = "".join(_still_referenced(key, "(SELECT OLD.id AS id)") for key in keys)
    on_truncate = "".join(
        f"""
    IF EXISTS (SELECT 1 FROM {key.table} WHERE {key.column} IS NOT NULL) THEN
        RAISE EXCEPTION 'cannot truncate table "{referred}": table "{key.table}" refers to it (constraint "{key.name}")'
            USING ERRCODE = 'feature_not_supported', HINT = 'Truncate table "{key.table}" at the same time.';
    END IF;"""
        for key in keys
    )
    return f"""
CREATE FUNCTION {referred}_referenced_delete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    referenced text;
BEGIN{on_delete}
    RETURN NULL;
END $$;
CREATE TRIGGER {referred}_referenced_delete AFTER DELETE ON {referred}
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {referred}_referenced_delete();
CREATE FUNCTION {referred}_referenced_key() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    referenced text;
BEGIN{on_key_change}
    RETURN NEW;
END $$;
CREATE TRIGGER {referred}_referenced_key BEFORE UPDATE OF id ON {referred}
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION {referred}_referenced_key();
CREATE FUNCTION {referred}_referenced_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN{on_truncate}
    RETURN NULL;
END $$;
CREATE TRIGGER {referred}_referenced_truncate AFTER TRUNCATE ON {referred}
    FOR EACH STATEMENT EXECUTE FUNCTION {referred}_referenced_truncate();
"""


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if not _postgres():
        return
    for key in KEYS:
        op.drop_constraint(key.name, key.table, type_="foreignkey")
    for table, keys in _by_table(KEYS):
        op.execute(_postgres_child(table, keys))
    for referred, keys in _by_referred(KEYS):
        op.execute(_postgres_parent(referred, keys))


def downgrade() -> None:
    if not _postgres():
        return
    for referred, _keys in _by_referred(KEYS):
        for suffix in ("delete", "key", "truncate"):
            op.execute(f"DROP TRIGGER IF EXISTS {referred}_referenced_{suffix} ON {referred}")
            op.execute(f"DROP FUNCTION IF EXISTS {referred}_referenced_{suffix}()")
    for table, _keys in _by_table(KEYS):
        for suffix in ("insert", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_keys_{suffix} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {table}_keys_{suffix}()")
    for key in KEYS:
        op.create_foreign_key(
            key.name, key.table, key.referred, [key.column], ["id"], ondelete="CASCADE" if key.cascade else None
        )
