"""Bulk writing of generated rows: COPY on PostgreSQL, batched executemany on SQLite.

Rows are tuples in the column order of ``TABLES``. They are buffered per table and flushed in
``TABLES`` order (parents before children) whenever the buffers hold ``chunk_rows`` rows, so memory
stays bounded however large the region is. Everything happens in the caller's transaction;
constraints, indexes and triggers stay in place. Ids are assigned here, not by the database; on
PostgreSQL the id sequences are moved past them at the end.
"""

from __future__ import annotations

import datetime as dt
import io
import queue
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, text

from db.copytext import ESCAPES, NULL

Row = tuple[Any, ...]

# fmt: off
TABLES: dict[str, tuple[str, ...]] = {
    "region": ("id", "code", "name", "oktmo"),
    "municipality": ("id", "region_id", "parent_id", "oktmo", "name", "kind_code"),
    "address": (
        "id", "fias_guid", "gar_id", "oktmo", "postal_code", "region_name", "district", "locality", "street",
        "house", "building", "apartment", "full_text",
    ),
    "org_unit": (
        "id", "kind", "parent_id", "municipality_id", "external_id", "full_name", "short_name", "full_name_norm",
        "inn", "kpp", "ogrn", "okpo", "oktmo", "okopf_code", "okfs_code", "status_code", "head_name", "phone",
        "fax", "email", "website", "legal_address_id", "actual_address_id",
    ),
    "authority": ("id", "level", "region_id"),
    "organization": (
        "id", "type_code", "activity_kind_code", "founded_on", "license_number", "license_date",
        "accreditation_number", "period_scheme_code", "is_city",
    ),
    "org_unit_closure": ("ancestor_id", "descendant_id", "depth"),
    "branch": (
        "id", "organization_id", "full_name", "short_name", "kpp", "phone", "email", "status_code", "address_id",
    ),
    "info_system": ("id", "mnemonic", "name", "is_provider", "is_consumer", "is_active", "owner_unit_id"),
    "system_write_scope": ("system_id", "org_unit_id"),
    "system_contract_grant": ("system_id", "contract"),
    "provider_priority": ("organization_id", "system_id", "rank"),
    "class_group": (
        "id", "organization_id", "branch_id", "external_id", "name", "school_year", "grade", "letter",
        "education_level_code", "programme_kind_code", "education_form_code", "specialty_code", "orientation_code",
        "compensating_profile_code", "regime_code", "age_band_code", "capacity", "is_adapted", "is_advanced",
    ),
    "local_subject": ("id", "organization_id", "external_id", "name", "base_subject_id"),
    "education_area": ("id", "organization_id", "kind", "code", "name", "programme_kind_code"),
    "study_period": ("id", "organization_id", "school_year", "kind_code", "number", "start_date", "end_date"),
    "person": (
        "id", "last_name", "first_name", "middle_name", "last_name_norm", "first_name_norm", "middle_name_norm",
        "sex", "birth_date", "birth_place", "citizenship_code", "snils", "inn", "phone", "email",
    ),
    "identity_document": (
        "id", "person_id", "doc_type_code", "series", "number", "issued_on", "issued_by", "is_primary",
    ),
    "person_address": ("id", "person_id", "kind_code", "address_id"),
    "student": (
        "id", "status_code", "current_organization_id", "current_class_group_id", "education_level_code",
        "education_form_code", "health_group_code", "disability_group_code", "has_special_needs", "source_system_id",
    ),
    "legal_representative": (
        "id", "student_id", "person_id", "kind_code", "authority_document", "valid_from", "is_primary_contact",
    ),
    "education_document": (
        "id", "student_id", "doc_type_code", "series", "number", "issued_on", "organization_id", "issuer_name",
        "with_honours",
    ),
    "achievement": ("id", "student_id", "achieved_on", "kind", "title", "level", "result"),
    "enrolment": (
        "id", "student_id", "organization_id", "class_group_id", "education_level_code", "programme_kind_code",
        "programme_name", "education_form_code", "specialty_code", "is_primary", "entry_date", "entry_reason_code",
        "entry_order", "exit_date", "exit_reason_code", "exit_order", "source_system_id",
    ),
    "diary_mark": (
        "id", "student_id", "organization_id", "class_group_id", "subject_id", "mark_date", "scale_code", "raw_value",
        "numeric_value", "weight", "control_form_code", "source_system_id",
    ),
    "period_mark": (
        "student_id", "organization_id", "subject_id", "school_year", "kind", "period_key", "study_period_id",
        "scale_code", "raw_value", "numeric_value", "source_system_id",
    ),
    "exam_result": (
        "id", "student_id", "exam_kind_code", "base_subject_id", "exam_date", "primary_score", "score", "mark",
    ),
    "queue_application": (
        "id", "number", "child_id", "applicant_id", "municipality_id", "submitted_at", "desired_date",
        "orientation_code", "regime_code", "privilege_code", "status_code", "source_system_id",
    ),
    "queue_preference": ("id", "application_id", "organization_id", "rank"),
    "queue_status_change": ("id", "application_id", "status_code", "changed_at", "comment"),
    "packet": (
        "id", "receipt_id", "system_id", "external_id", "format", "kind", "file_name", "sha256", "size_bytes",
        "status", "received_at", "finished_at",
    ),
    "load_journal": (
        "id", "packet_id", "system_id", "organization_id", "file_name", "started_at", "finished_at", "status",
        "rows_total", "rows_applied", "rows_rejected", "rows_warned", "comment",
    ),
    "load_row_error": ("id", "journal_id", "section", "row", "code", "field", "value", "message", "severity"),
    "change_log": ("version", "entity", "entity_id", "operation", "org_unit_id", "changed_at"),
}
# fmt: on
"""Every table the generator fills, parents before children, with the columns it writes."""

_SHARED_IDS = frozenset({"authority", "organization", "student"})
"""Subtype tables: their id is the id of their ``org_unit`` or ``person`` row."""

ID_COLUMNS: dict[str, str] = {
    table: columns[0]
    for table, columns in TABLES.items()
    if columns[0] in ("id", "version") and table not in _SHARED_IDS
}
"""Tables whose first column is an id the generator assigns."""


class IdAllocator:
    """Hands out ids per table, starting past whatever the database already holds."""

    def __init__(self, start: dict[str, int]):
        self._next = dict(start)

    def __call__(self, table: str) -> int:
        value = self._next[table]
        self._next[table] = value + 1
        return value

    def reserve(self, table: str, count: int) -> int:
        """Reserve ``count`` consecutive ids; return the first."""
        value = self._next[table]
        self._next[table] = value + count
        return value


class BulkWriter(ABC):
    """Buffers rows per table and writes them in dependency order."""

    def __init__(self, connection: Connection, chunk_rows: int):
        self.connection = connection
        self.chunk_rows = chunk_rows
        self.counts: dict[str, int] = dict.fromkeys(TABLES, 0)
        self._buffers: dict[str, list[Any]] = {table: [] for table in TABLES}
        self._buffered = 0

    def add(self, table: str, row: Row) -> None:
        self._buffers[table].append(self._encode(row))
        self._buffered += 1
        if self._buffered >= self.chunk_rows:
            self.flush()

    def add_many(self, table: str, rows: Iterable[Row]) -> None:
        for row in rows:
            self.add(table, row)

    def flush(self) -> None:
        for table, buffer in self._buffers.items():
            if buffer:
                self._write(table, buffer)
                self.counts[table] += len(buffer)
                buffer.clear()
        self._buffered = 0

    def finish(self) -> dict[str, int]:
        """Flush what is left and bring id sequences up to date; return rows written per table."""
        self.flush()
        self._after_load()
        return {table: count for table, count in self.counts.items() if count}

    def start(self) -> None:
        """Prepare the database for the load (called once, before the first row)."""
        return None

    def close(self) -> None:
        """Stop background work; raise what it failed with (safe to call more than once)."""
        return None

    def max_ids(self) -> dict[str, int]:
        """The next free id of every table with a generated id."""
        result = {}
        for table, column in ID_COLUMNS.items():
            current = self.connection.execute(text(f"SELECT max({column}) FROM {table}")).scalar()  # noqa: S608
            result[table] = int(current or 0) + 1
        return result

    @abstractmethod
    def _encode(self, row: Row) -> Any: ...

    @abstractmethod
    def _write(self, table: str, rows: list[Any]) -> None: ...

    def _after_load(self) -> None:
        return None




def _copy_value(value: Any) -> str:
    """Careful rendering of one value, for rows whose quick rendering was ambiguous."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value).translate(ESCAPES)


def encode_copy_row(row: Row) -> str:
    """One line of COPY text format.

    ``str()`` renders every type the generator produces the way PostgreSQL reads it (ints, ISO
    dates, aware datetimes, UUIDs, ``True``/``False``); only a value holding a tab, newline,
    carriage return or backslash needs escaping, and the tab count of the joined line tells.
    """
    line = "\t".join([NULL if value is None else str(value) for value in row])
    if line.count("\t") != len(row) - 1 or "\n" in line or "\r" in line or "\\" in line.replace(NULL, ""):
        line = "\t".join([_copy_value(value) for value in row])
    return line + "\n"


class PostgresCopyWriter(BulkWriter):
    """``COPY … FROM STDIN`` (text format) through psycopg2's ``copy_expert``, one chunk at a time.

    A background thread runs the COPY of one chunk while the generator builds the next (psycopg2
    releases the GIL while the server works); at most two chunks wait, so memory stays bounded.

    Foreign keys are checked row by row by triggers, which makes COPY ten times slower, and
    secondary indexes are cheaper to build once than to grow row by row; so the foreign keys and
    the indexes that back no constraint are dropped in the load's transaction and re-created at the
    end from their own definitions (``pg_get_constraintdef``, ``pg_get_indexdef``): each foreign key
    is then validated in one pass, each unique index checks its rows when built. Primary keys,
    unique and check constraints stay. If anything fails, the transaction rolls back with the
    schema as it was.
    """

    def __init__(self, connection: Connection, chunk_rows: int):
        super().__init__(connection, chunk_rows)
        self._foreign_keys: list[tuple[str, str, str]] = []
        self._indexes: list[tuple[str, str]] = []
        self._chunks: queue.Queue[tuple[str, str] | None] = queue.Queue(maxsize=2)
        self._copier = threading.Thread(target=self._copy_chunks, name="demo-copy", daemon=True)
        self._error: BaseException | None = None

    def start(self) -> None:
        rows = self.connection.execute(
            text(
                "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
                "WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY(:tables) ORDER BY c.conname"
            ),
            {"tables": list(TABLES)},
        )
        self._foreign_keys = [(table, name, definition) for table, name, definition in rows]
        for table, name, _definition in self._foreign_keys:
            self.connection.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
        indexes = self.connection.execute(
            text(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "WHERE i.indrelid::regclass::text = ANY(:tables) AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1"
            ),
            {"tables": list(TABLES)},
        )
        self._indexes = [(name, definition) for name, definition in indexes]
        for name, _definition in self._indexes:
            self.connection.execute(text(f'DROP INDEX "{name}"'))
        self._copier.start()

    def _copy_chunks(self) -> None:
        cursor = self.connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        while (chunk := self._chunks.get()) is not None:
            table, data = chunk
            if self._error is None:
                try:
                    columns = ", ".join(TABLES[table])
                    cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", io.StringIO(data), size=1 << 20)
                except BaseException as exc:  # handed over to the generating thread
                    self._error = exc
        cursor.close()

    def close(self) -> None:
        if self._copier.is_alive():
            self._chunks.put(None)
            self._copier.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _encode(self, row: Row) -> str:
        return encode_copy_row(row)

    def _write(self, table: str, rows: list[str]) -> None:
        if self._error is not None:
            self.close()
        self._chunks.put((table, "".join(rows)))

    def _after_load(self) -> None:
        self.close()
        self.connection.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
        for _name, definition in self._indexes:
            self.connection.execute(text(definition))
        for table, name, definition in self._foreign_keys:
            self.connection.execute(text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))
        for table, column in ID_COLUMNS.items():
            if self.counts[table]:
                self.connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "  # noqa: S608
                        f"(SELECT max({column}) FROM {table}))"
                    )
                )
        self.connection.execute(text("ANALYZE"))


def _sqlite_value(value: Any) -> Any:
    kind = value.__class__
    if kind is dt.date:
        return value.isoformat()
    if kind is dt.datetime:
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if kind is uuid.UUID:
        return value.hex
    return value


class SqliteWriter(BulkWriter):
    """Batched ``executemany`` inside the caller's transaction."""

    def _encode(self, row: Row) -> Row:
        return tuple([_sqlite_value(value) for value in row])

    def _write(self, table: str, rows: list[Row]) -> None:
        columns = TABLES[table]
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608
        cursor = self.connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cursor.executemany(sql, rows)
        cursor.close()


def open_writer(connection: Connection, chunk_rows: int = 200_000) -> BulkWriter:
    """The writer for the connection's backend."""
    writer: BulkWriter
    if connection.dialect.name == "postgresql":
        writer = PostgresCopyWriter(connection, chunk_rows)
    elif connection.dialect.name == "sqlite":
        writer = SqliteWriter(connection, chunk_rows)
    else:
        raise ValueError(f"unsupported database backend: {connection.dialect.name}")
    writer.start()
    return writer

