"""Bulk writes for the intake: new ids in one round trip, new rows by COPY on PostgreSQL (run in the
background by ``copy_pipe`` while the next slice is mapped), updates as one ``UPDATE … FROM VALUES``.

On SQLite (tests, small installations) the same calls fall back to ``executemany`` inserts and
``RETURNING``; the rows written are identical.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from psycopg2.extras import execute_values
from sqlalchemy import Table, bindparam, func, insert, select, text, update
from sqlalchemy.orm import Session

from db.copytext import copy_text
from kontingent_ws.usecases.intake.copy_pipe import drain, pipe_of


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


def copy_rows(session: Session, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table`` in the session's transaction."""
    if is_postgres(session):
        batch = rows if isinstance(rows, list) else list(rows)
        if batch:
            pipe_of(session).submit(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN", copy_text(batch))
        return len(batch)
    params = [dict(zip(columns, row, strict=True)) for row in rows]
    if params:
        session.execute(insert(table), params)
    return len(params)


def update_rows(session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """``UPDATE table SET columns`` for every row ``(id, *values)``: one statement on PostgreSQL.

    On PostgreSQL the rows travel as one ``VALUES`` list joined to the table (``UPDATE … FROM``),
    each value cast to its column's type; elsewhere one ``executemany``.
    """
    if not rows:
        return
    if not is_postgres(session):
        params = [{"_id": row[0], **dict(zip(columns, row[1:], strict=True))} for row in rows]
        statement = update(table).where(table.c.id == bindparam("_id")).values(
            {name: bindparam(name) for name in columns}
        )
        session.execute(statement, params)
        return
    dialect = session.get_bind().dialect
    casts = ", ".join(f"%s::{table.c[name].type.compile(dialect)}" for name in ("id", *columns))
    assignments = ", ".join(f"{name} = v.{name}" for name in columns)
    names = ", ".join(("id", *columns))
    drain(session)
    cursor = session.connection().connection.cursor()
    # names come from the table's metadata, values travel as parameters
    sql = f"UPDATE {table.name} AS t SET {assignments} FROM (VALUES %s) AS v({names}) WHERE t.id = v.id"  # noqa: S608
    try:
        execute_values(
            cursor,
            sql,
            [tuple(row) for row in rows],
            template=f"({casts})",
            page_size=max(len(rows), 1),
        )
    finally:
        cursor.close()
