"""Bulk writes for the intake: new ids in one round trip, new rows by COPY on PostgreSQL.

On SQLite (tests, small installations) the same calls fall back to ``executemany`` inserts and
``RETURNING``; the rows written are identical.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.orm import Session


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def allocate_ids(session: Session, table: Table, count: int) -> list[int]:
    """``count`` fresh primary keys of ``table`` (its sequence on PostgreSQL, the max id on SQLite).

    On SQLite the caller's transaction holds the one write lock, so nobody else takes the ids.
    """
    if count == 0:
        return []
    if is_postgres(session):
        rows = session.execute(
            text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :count)"),
            {"table": table.name, "count": count},
        )
        return [int(row[0]) for row in rows]
    start = int(session.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()) + 1
    return list(range(start, start + count))


def _copy_value(value: Any) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal | int | float):
        return str(value)
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_rows(session: Session, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table`` in the session's transaction."""
    if is_postgres(session):
        buffer = io.StringIO()
        count = 0
        for row in rows:
            buffer.write("\t".join(_copy_value(value) for value in row))
            buffer.write("\n")
            count += 1
        if count:
            buffer.seek(0)
            cursor = session.connection().connection.cursor()
            try:
                cursor.copy_expert(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN", buffer)
            finally:
                cursor.close()
        return count
    params = [dict(zip(columns, row, strict=True)) for row in rows]
    if params:
        session.execute(insert(table), params)
    return len(params)
