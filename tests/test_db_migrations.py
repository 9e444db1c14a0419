"""The migrations build the schema of the models and take it down again, on every backend."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import CheckConstraint, Connection, inspect, text
from sqlalchemy.orm import Session

from db.engine import make_engine
from db.migrate import downgrade, initdb, table_names, upgrade
from db.models import Base
from reports.aggregates import refresh_mark_summaries
from tests.registrykit import build_registry

SET_BASED_KEYS = {key.name for key in importlib.import_module("db.migrations.versions.0007_set_based_keys").KEYS}
"""Keys the models declare that PostgreSQL checks by statement-level triggers instead (migration 0007)."""


def _declared_schema(postgres: bool) -> Callable[..., bool]:
    """``include_object`` of the comparison: on PostgreSQL the set-based keys are not constraints."""

    def include(obj: object, _name: str | None, type_: str, _reflected: bool, _compare_to: object) -> bool:
        return not (postgres and type_ == "foreign_key_constraint" and getattr(obj, "name", None) in SET_BASED_KEYS)

    return include


def test_upgrade_to_head_and_downgrade_to_base(empty_db_url: str) -> None:
    upgrade(empty_db_url)
    engine = make_engine(empty_db_url)
    try:
        assert set(Base.metadata.tables) <= table_names(engine)
        downgrade(empty_db_url)
        assert table_names(engine) <= {"alembic_version"}
    finally:
        engine.dispose()


def test_models_and_migrations_agree(empty_db_url: str) -> None:
    upgrade(empty_db_url)
    engine = make_engine(empty_db_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"include_object": _declared_schema(engine.dialect.name == "postgresql")}
            )
            differences = compare_metadata(context, Base.metadata)
            checks = _check_names(connection)
        assert differences == []
        assert checks == {name: {constraint.name for constraint in table.constraints
                                 if isinstance(constraint, CheckConstraint)}
                          for name, table in Base.metadata.tables.items()}  # which the comparison leaves aside
    finally:
        engine.dispose()


def _check_names(connection: Connection) -> dict[str, set[str | None]]:
    """The names of every model table's check constraints in the database."""
    found = inspect(connection)
    return {name: {check["name"] for check in found.get_check_constraints(name)} for name in Base.metadata.tables}


OLD_PROVENANCE = [
    # (entity, entity id, field, system, packet, written at): system 1 wrote three fields of person 7 in
    # two packets, system 2 took one over; person 8 has one row
    ("person", 7, "last_name", 1, 1, "2026-01-01 10:00:00"),
    ("person", 7, "snils", 1, 2, "2026-01-02 10:00:00"),
    ("person", 7, "sex", 1, 1, "2026-01-01 10:00:00"),
    ("person", 7, "phone", 2, 3, "2026-01-03 10:00:00"),
    ("student", 8, "health_group_code", 2, None, "2026-01-04 10:00:00"),
]
NEW_PROVENANCE = {
    ("person", 7, 1, "last_name sex snils", 2, "2026-01-02"),
    ("person", 7, 2, "phone", 3, "2026-01-03"),
    ("student", 8, 2, "health_group_code", None, "2026-01-04"),
}


def _day(value: object) -> str:
    return str(value)[:10]


def test_provenance_rows_converted_both_ways(empty_db_url: str) -> None:
    """0006 groups one row per field into one row per record and provider (the latest packet and
    time of the group); its downgrade splits them back, each field with its group's packet."""
    upgrade(empty_db_url, "0005")
    engine = make_engine(empty_db_url)
    try:
        with engine.begin() as connection:
            for system in (1, 2):
                connection.execute(text(
                    "INSERT INTO info_system (id, mnemonic, name, is_provider, is_consumer, is_active, created_at, "
                    "updated_at) VALUES (:id, :m, :m, true, false, true, '2026-01-01', '2026-01-01')"
                ), {"id": system, "m": f"system{system}"})
            for packet in (1, 2, 3):
                connection.execute(text(
                    "INSERT INTO packet (id, receipt_id, system_id, external_id, format, sha256, size_bytes, status, "
                    "received_at) VALUES (:id, :r, 1, :r, 'xml', '', 0, 'done', '2026-01-01')"
                ), {"id": packet, "r": f"p{packet}"})
            for row in OLD_PROVENANCE:
                connection.execute(text(
                    "INSERT INTO field_provenance (entity, entity_id, field, system_id, packet_id, written_at) "
                    "VALUES (:e, :i, :f, :s, :p, :w)"
                ), dict(zip(("e", "i", "f", "s", "p", "w"), row, strict=True)))
        upgrade(empty_db_url)
        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT entity, entity_id, system_id, fields, packet_id, written_at FROM field_provenance"
            )).all()
            triggers = _sqlite_triggers(connection)
        assert {(*row[:5], _day(row[5])) for row in rows} == NEW_PROVENANCE
        if triggers is not None:  # SQLite rebuilt the mark tables: their summary triggers are back
            assert {"period_mark_summary_insert", "diary_mark_daily_insert", "diary_mark_monthly_delete"} <= triggers
        downgrade(empty_db_url, "0005")
        with engine.connect() as connection:
            split = connection.execute(text(
                "SELECT entity, entity_id, field, system_id, packet_id, written_at FROM field_provenance"
            )).all()
        assert {(*row[:5], _day(row[5])) for row in split} == {
            ("person", 7, "last_name", 1, 2, "2026-01-02"),
            ("person", 7, "snils", 1, 2, "2026-01-02"),
            ("person", 7, "sex", 1, 2, "2026-01-02"),
            ("person", 7, "phone", 2, 3, "2026-01-03"),
            ("student", 8, "health_group_code", 2, None, "2026-01-04"),
        }
    finally:
        engine.dispose()


def _sqlite_triggers(connection: Connection) -> set[str] | None:
    if connection.dialect.name != "sqlite":
        return None
    return set(connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())


PERIOD_MARKS = "SELECT student_id, subject_id, school_year, kind, study_period_id, raw_value FROM period_mark"


def _summaries(connection: Connection) -> set[tuple[object, ...]]:
    return {tuple(row) for row in connection.execute(text("SELECT * FROM period_mark_summary"))}


def test_period_marks_keyed_by_their_key_both_ways(empty_db_url: str) -> None:
    """0012 makes a period mark's key its primary key: ``period_key`` the study period's id or 0, an annual
    mark stored twice (the old unique key held the NULL of its period as distinct) kept once – the one
    written last – and the summaries still counting the marks; its downgrade numbers the marks again
    and brings the unique key back."""
    initdb(empty_db_url)
    engine = make_engine(empty_db_url)
    try:
        with Session(engine) as session:
            build_registry(session)
            session.commit()
        with engine.connect() as connection:
            marks = set(connection.execute(text(PERIOD_MARKS)).tuples())
        annual = next(mark for mark in marks if mark[3] == "annual")
        assert len(marks) >= 3 and any(mark[3] == "period" for mark in marks)
        downgrade(empty_db_url, "0011")
        with engine.begin() as connection:
            ids = connection.execute(text("SELECT id FROM period_mark")).scalars().all()
            assert len(set(ids)) == len(ids) == len(marks) and set(connection.execute(text(PERIOD_MARKS))) == marks
            connection.execute(text(
                "INSERT INTO period_mark (student_id, organization_id, subject_id, school_year, kind, scale_code, "
                "raw_value) SELECT student_id, organization_id, subject_id, school_year, kind, scale_code, 'зач' "
                "FROM period_mark WHERE student_id = :s AND subject_id = :j AND school_year = :y AND kind = 'annual'"
            ), dict(zip("sjy", annual[:3], strict=True)))
            assert connection.execute(text("SELECT max(id) FROM period_mark")).scalar_one() > max(ids)
        upgrade(empty_db_url)
        with engine.connect() as connection:
            assert set(connection.execute(text(PERIOD_MARKS))) == (marks - {annual}) | {(*annual[:5], "зач")}
            assert {(row.period_key, row.study_period_id) for row in connection.execute(text(
                "SELECT period_key, study_period_id FROM period_mark"))} == {
                (0 if mark[4] is None else mark[4], mark[4]) for mark in marks}
            triggers = _sqlite_triggers(connection)
            counted = _summaries(connection)
        if triggers is not None:  # SQLite rebuilt the table: its summary triggers are back
            assert {f"period_mark_summary_{event}" for event in ("insert", "update", "delete")} <= triggers
        with Session(engine) as session:
            refresh_mark_summaries(session)
            session.commit()
        with engine.connect() as connection:
            assert _summaries(connection) == counted  # what the triggers kept is what the marks count
    finally:
        engine.dispose()
