"""The mark tables' data keys, checked once a statement on PostgreSQL (migration 0007), mean what
the foreign keys they replace meant: no mark names a missing student, subject, study period or
class; deleting a student deletes its marks; a subject, period or class with marks cannot be
deleted; a referenced id cannot change; concurrent writers cannot leave a mark without its student."""

from __future__ import annotations

import importlib
import io
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import IntegrityError, NotSupportedError

from db.engine import make_engine
from db.migrate import initdb
from db.models import Base
from kontingent_ws.demo import DemoConfig, generate_demo
from tests.conftest import POSTGRESQL_ONLY, postgres_database

KEYS = importlib.import_module("db.migrations.versions.0007_set_based_keys").KEYS
MARK_COLUMNS = (
    "student_id, organization_id, subject_id, school_year, kind, study_period_id, scale_code, raw_value, period_key"
)


@pytest.fixture(scope="module", params=POSTGRESQL_ONLY)
def region() -> Iterator[Engine]:
    """A small generated region (students with period and diary marks) on PostgreSQL."""
    with postgres_database() as url:
        initdb(url)
        engine = make_engine(url)
        generate_demo(engine, DemoConfig(students=60))
        try:
            yield engine
        finally:
            engine.dispose()


@pytest.fixture
def connection(region: Engine) -> Iterator[Connection]:
    """A connection whose transaction is rolled back after the test."""
    with region.connect() as conn:
        transaction = conn.begin()
        try:
            yield conn
        finally:
            if transaction.is_active:
                transaction.rollback()


def _one_mark(conn: Connection) -> dict[str, object]:
    row = conn.execute(text(f"SELECT {MARK_COLUMNS} FROM period_mark WHERE kind = 'period' "
                            "ORDER BY student_id, subject_id, period_key LIMIT 1"))
    return dict(row.mappings().one())


def _insert(conn: Connection, mark: dict[str, object], *, kind: str = "final") -> None:
    """One more mark like ``mark`` (a final mark: no study period, not yet present)."""
    period = mark["study_period_id"] if kind == "period" else None
    values = {**mark, "kind": kind, "study_period_id": period, "period_key": period or 0}
    conn.execute(text(f"INSERT INTO period_mark ({MARK_COLUMNS}) VALUES "
                      "(:student_id, :organization_id, :subject_id, :school_year, :kind, :study_period_id, "
                      ":scale_code, :raw_value, :period_key)"), values)


def _missing_id(conn: Connection, table: str) -> int:
    return int(conn.execute(text(f"SELECT COALESCE(MAX(id), 0) + 1000 FROM {table}")).scalar_one())


def _violated(error: pytest.ExceptionInfo[IntegrityError]) -> str:
    return str(error.value.orig.diag.constraint_name)  # type: ignore[union-attr]


def test_keys_are_triggers_on_postgresql_and_declared_by_the_models(region: Engine) -> None:
    inspector = inspect(region)
    for key in KEYS:
        assert key.name not in {fk["name"] for fk in inspector.get_foreign_keys(key.table)}
        keys = Base.metadata.tables[key.table].foreign_keys
        declared = {(fk.parent.name, fk.column.table.name, fk.ondelete) for fk in keys}
        assert (key.column, key.referred, "CASCADE" if key.cascade else None) in declared
    with region.connect() as conn:
        triggers = set(conn.execute(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")).scalars())
    for key in KEYS:
        assert {f"{key.table}_keys_insert", f"{key.table}_keys_update", f"{key.referred}_referenced_delete",
                f"{key.referred}_referenced_key", f"{key.referred}_referenced_truncate"} <= triggers


@pytest.mark.parametrize(
    ("column", "referred"),
    [("student_id", "student"), ("subject_id", "local_subject"), ("study_period_id", "study_period")],
)
def test_a_mark_naming_a_missing_row_is_refused(connection: Connection, column: str, referred: str) -> None:
    mark = _one_mark(connection)
    before = connection.execute(text("SELECT count(*) FROM period_mark")).scalar_one()
    savepoint = connection.begin_nested()
    with pytest.raises(IntegrityError) as error:
        _insert(connection, {**mark, column: _missing_id(connection, referred)}, kind="period")
    savepoint.rollback()
    assert _violated(error) == f"fk_period_mark_{column}_{referred}"
    assert error.value.orig.pgcode == "23503"  # type: ignore[union-attr]
    assert f"is not present in table \"{referred}\"" in str(error.value)
    assert connection.execute(text("SELECT count(*) FROM period_mark")).scalar_one() == before


def test_one_bad_row_refuses_the_whole_copy(connection: Connection) -> None:
    # quarter marks made final marks: one a student, subject and year that has none yet
    rows = connection.execute(text(
        f"SELECT DISTINCT ON (student_id, subject_id, school_year) {MARK_COLUMNS} FROM period_mark AS m "
        "WHERE kind = 'period' AND NOT EXISTS (SELECT 1 FROM period_mark AS f WHERE f.student_id = m.student_id "
        "AND f.subject_id = m.subject_id AND f.school_year = m.school_year AND f.kind = 'final') LIMIT 200")).all()
    assert len(rows) > 150
    missing = _missing_id(connection, "student")
    lines = [
        "\t".join("\\N" if value is None else str(value) for value in (
            row[0] if n != 150 else missing, *row[1:4], "final", None, *row[6:8], 0))
        for n, row in enumerate(rows)
    ]
    before = connection.execute(text("SELECT count(*) FROM period_mark")).scalar_one()
    savepoint = connection.begin_nested()
    cursor = connection.connection.cursor()
    with pytest.raises(Exception) as error:
        cursor.copy_expert(f"COPY period_mark ({MARK_COLUMNS}) FROM STDIN", io.StringIO("\n".join(lines) + "\n"))
    savepoint.rollback()
    assert error.value.diag.constraint_name == "fk_period_mark_student_id_student"  # type: ignore[attr-defined]
    assert f"({missing})" in str(error.value)
    assert connection.execute(text("SELECT count(*) FROM period_mark")).scalar_one() == before


def test_an_update_to_a_missing_row_is_refused(connection: Connection) -> None:
    missing = _missing_id(connection, "local_subject")
    savepoint = connection.begin_nested()
    with pytest.raises(IntegrityError) as error:
        connection.execute(text("UPDATE diary_mark SET subject_id = :s WHERE id = (SELECT min(id) FROM diary_mark)"),
                           {"s": missing})
    savepoint.rollback()
    assert _violated(error) == "fk_diary_mark_subject_id_local_subject"


def test_deleting_a_student_deletes_its_marks_and_their_counts(connection: Connection) -> None:
    student = connection.execute(text(
        "SELECT student_id FROM period_mark GROUP BY student_id "
        "HAVING student_id IN (SELECT student_id FROM diary_mark) ORDER BY student_id LIMIT 1")).scalar_one()
    own = text("SELECT count(*) FROM period_mark WHERE student_id = :s")
    marks = connection.execute(own, {"s": student}).scalar_one()
    counted = connection.execute(text("SELECT sum(entries) FROM period_mark_summary")).scalar_one()
    connection.execute(text("DELETE FROM person WHERE id = :s"), {"s": student})  # cascades to the student
    for table in ("period_mark", "diary_mark"):
        left = connection.execute(text(f"SELECT count(*) FROM {table} WHERE student_id = :s"), {"s": student})
        assert left.scalar_one() == 0
    assert connection.execute(text("SELECT sum(entries) FROM period_mark_summary")).scalar_one() == counted - marks


@pytest.mark.parametrize(
    ("referred", "column", "table"),
    [("local_subject", "subject_id", "period_mark"), ("study_period", "study_period_id", "period_mark"),
     ("class_group", "class_group_id", "diary_mark")],
)
def test_a_referenced_row_cannot_be_deleted_until_its_marks_are(
    connection: Connection, referred: str, column: str, table: str
) -> None:
    used = connection.execute(text(f"SELECT min({column}) FROM {table}")).scalar_one()
    if referred == "class_group":  # classes are also named by enrolments and students (ordinary keys)
        connection.execute(text("UPDATE enrolment SET class_group_id = NULL WHERE class_group_id = :id"), {"id": used})
        connection.execute(text("UPDATE student SET current_class_group_id = NULL WHERE current_class_group_id = :id"),
                           {"id": used})
    savepoint = connection.begin_nested()
    with pytest.raises(IntegrityError) as error:
        connection.execute(text(f"DELETE FROM {referred} WHERE id = :id"), {"id": used})
    savepoint.rollback()
    assert _violated(error) in {key.name for key in KEYS if key.referred == referred}
    assert "is still referenced" in str(error.value)
    for key in KEYS:
        if key.referred == referred:
            connection.execute(text(f"DELETE FROM {key.table} WHERE {key.column} = :id"), {"id": used})
    deleted = connection.execute(text(f"DELETE FROM {referred} WHERE id = :id"), {"id": used})
    assert deleted.rowcount == 1


def test_a_referenced_id_cannot_change(connection: Connection) -> None:
    student = connection.execute(text("SELECT min(student_id) FROM period_mark")).scalar_one()
    savepoint = connection.begin_nested()
    with pytest.raises(IntegrityError) as error:
        connection.execute(text("UPDATE study_period SET id = id + 100000 WHERE id = "
                                "(SELECT min(study_period_id) FROM period_mark)"))
    savepoint.rollback()
    assert _violated(error) == "fk_period_mark_study_period_id_study_period"
    assert connection.execute(text("SELECT count(*) FROM student WHERE id = :s"), {"s": student}).scalar_one() == 1


def test_truncating_a_referenced_table_alone_is_refused(connection: Connection) -> None:
    savepoint = connection.begin_nested()
    with pytest.raises(NotSupportedError) as error:
        connection.execute(text("TRUNCATE study_period"))
    savepoint.rollback()
    assert "period_mark" in str(error.value)
    connection.execute(text("TRUNCATE study_period, period_mark"))
    assert connection.execute(text("SELECT count(*) FROM period_mark")).scalar_one() == 0


def _in_thread(target: object) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            target()  # type: ignore[operator]
        except BaseException as exc:  # handed to the test
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def _blocked(engine: Engine, count: int = 1) -> bool:
    with engine.connect() as conn:
        waiting = conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"))
        return int(waiting.scalar_one()) >= count


def _wait_blocked(engine: Engine) -> None:
    for _ in range(200):
        if _blocked(engine):
            return
        threading.Event().wait(0.05)
    raise AssertionError("the second transaction never waited for the first")


def _fresh_student(engine: Engine) -> tuple[int, dict[str, object]]:
    """A student of the region with marks, and one of its marks."""
    with engine.connect() as conn:
        mark = _one_mark(conn)
    return int(mark["student_id"]), mark  # type: ignore[call-overload]


def test_a_mark_for_a_student_being_deleted_waits_and_is_refused(region: Engine) -> None:
    """Deleting transaction first: the mark's check waits for it, then finds the student gone."""
    student, mark = _fresh_student(region)
    with region.connect() as deleting:
        deleting.begin()
        deleting.execute(text("DELETE FROM person WHERE id = :s"), {"s": student})

        def insert_mark() -> None:
            with region.begin() as inserting:
                _insert(inserting, mark)

        thread, errors = _in_thread(insert_mark)
        _wait_blocked(region)
        deleting.commit()
        thread.join(30)
    assert len(errors) == 1 and isinstance(errors[0], IntegrityError)
    with region.connect() as conn:
        orphans = conn.execute(text("SELECT count(*) FROM period_mark WHERE student_id = :s"), {"s": student})
        assert orphans.scalar_one() == 0


def test_deleting_a_student_while_its_marks_are_written_leaves_no_orphan(region: Engine) -> None:
    """Inserting transaction first: the delete waits for its lock, then deletes the new marks too."""
    student, mark = _fresh_student(region)
    with region.connect() as inserting:
        inserting.begin()
        _insert(inserting, mark)

        def delete_student() -> None:
            with region.begin() as deleting:
                deleting.execute(text("DELETE FROM person WHERE id = :s"), {"s": student})

        thread, errors = _in_thread(delete_student)
        _wait_blocked(region)
        inserting.commit()
        thread.join(30)
    assert errors == []
    with region.connect() as conn:
        orphans = conn.execute(text("SELECT count(*) FROM period_mark WHERE student_id = :s"), {"s": student})
        assert orphans.scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM student WHERE id = :s"), {"s": student}).scalar_one() == 0


UPDATABLE = [key for key in KEYS if key.column != "id"]


@pytest.mark.parametrize("key", UPDATABLE, ids=[key.name for key in UPDATABLE])
def test_every_key_refuses_a_value_naming_no_row(connection: Connection, key: object) -> None:
    table, column, referred = key.table, key.column, key.referred  # type: ignore[attr-defined]
    row = connection.execute(text(f"SELECT ctid::text FROM {table} ORDER BY ctid LIMIT 1")).scalar()
    assert row is not None, f"the region has no {table} rows to test with"
    missing = _missing_id(connection, referred)
    # a period mark's study period is its key's too (``period_key``, kept equal by a check)
    also = ", period_key = :v" if (table, column) == ("period_mark", "study_period_id") else ""
    savepoint = connection.begin_nested()
    with pytest.raises(IntegrityError) as error:
        connection.execute(text(f"UPDATE {table} SET {column} = :v{also} WHERE ctid = CAST(:row AS tid)"),
                           {"v": missing, "row": row})
    savepoint.rollback()
    assert _violated(error) == key.name  # type: ignore[attr-defined]
    assert f"Key ({column})=({missing})" in str(error.value)


def test_an_update_keeping_its_keys_passes_and_a_new_row_is_checked(connection: Connection) -> None:
    """The students' current state is rewritten after every load: unchanged keys need no check;
    an enrolment copied with an organization that does not exist is refused."""
    updated = connection.execute(text("UPDATE student SET status_code = status_code"))
    assert updated.rowcount > 0
    columns = [c["name"] for c in inspect(connection).get_columns("enrolment") if c["name"] not in ("id",)]
    missing = _missing_id(connection, "organization")
    values = ", ".join(":org" if name == "organization_id" else name for name in columns)
    savepoint = connection.begin_nested()
    with pytest.raises(IntegrityError) as error:
        connection.execute(text(f"INSERT INTO enrolment ({', '.join(columns)}) "
                                f"SELECT {values} FROM enrolment ORDER BY id LIMIT 1"), {"org": missing})
    savepoint.rollback()
    assert _violated(error) == "fk_enrolment_organization_id_organization"


def test_deleting_a_person_takes_the_student_with_it_but_not_a_representative(connection: Connection) -> None:
    student = connection.execute(text(
        "SELECT student_id FROM legal_representative ORDER BY student_id LIMIT 1")).scalar_one()
    connection.execute(text("DELETE FROM person WHERE id = :s"), {"s": student})
    for table, column in (("student", "id"), ("enrolment", "student_id"), ("legal_representative", "student_id"),
                          ("identity_document", "person_id"), ("person_address", "person_id")):
        left = connection.execute(text(f"SELECT count(*) FROM {table} WHERE {column} = :s"), {"s": student})
        assert left.scalar_one() == 0, table
    parent = connection.execute(text(
        "SELECT min(person_id) FROM legal_representative r WHERE NOT EXISTS "
        "(SELECT 1 FROM queue_application q WHERE r.person_id IN (q.applicant_id, q.child_id))")).scalar_one()
    savepoint = connection.begin_nested()
    with pytest.raises(IntegrityError) as error:
        connection.execute(text("DELETE FROM person WHERE id = :p"), {"p": parent})
    savepoint.rollback()
    assert _violated(error) == "fk_legal_representative_person_id_person"
