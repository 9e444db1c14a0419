"""Bulk writes for the intake: new ids in one round trip, new rows by COPY on PostgreSQL (run in the
background by ``copy_pipe`` while the next slice is mapped), updates as one ``UPDATE … FROM unnest``.

On SQLite (tests, small installations) the same calls fall back to ``executemany`` inserts and
``RETURNING``; the rows written are identical.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, Table, bindparam, event, func, insert, select, text, update
from sqlalchemy.orm import Session, SessionTransaction

from db.copytext import array_literal, copy_text
from kontingent_ws.usecases.intake.copy_pipe import pipe_of


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


_ID_BLOCKS = "intake_id_blocks"
_SQLITE_NEXT = "intake_sqlite_next_ids"
"""SQLite: table → the first id not yet handed out in this transaction."""
ID_BLOCK_MAX = 20_000
"""Most ids of one table taken from its sequence at once (a large packet's transaction takes what
its first slice needs, then as many as it took so far, up to this: one round trip every few dozen
slices instead of every slice; the ids left unused at the end are a gap in the sequence, as after
a rollback)."""
PREFETCH_FROM = 1000
"""Once a table has taken this many ids in a transaction, the next block is fetched in the background
while half of the current one is still to be handed out, so the load does not wait for it."""
_prefetcher: ThreadPoolExecutor | None = None


def _prefetch(engine: Engine, table: Table, count: int) -> Future[list[int]]:
    global _prefetcher
    if _prefetcher is None:
        _prefetcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="intake-ids")
    return _prefetcher.submit(_next_values, engine, table, count)


def _forget_prefetcher() -> None:
    global _prefetcher
    _prefetcher = None  # a forked child has none of its parent's threads


os.register_at_fork(after_in_child=_forget_prefetcher)


@dataclass
class _IdBlock:
    ids: list[int] = field(default_factory=list)
    """Taken from the sequence, not yet handed out, in the order taken."""
    taken: int = 0
    coming: Future[list[int]] | None = None
    """The next block, being fetched in the background."""


def _forget_id_blocks(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        blocks: dict[str, _IdBlock] | None = session.info.pop(_ID_BLOCKS, None)
        for block in (blocks or {}).values():  # ids left over are a gap in the sequence, as after a rollback
            if block.coming is not None:
                block.coming.exception()  # its connection back in the pool before the session goes on
        session.info.pop(_SQLITE_NEXT, None)


def _engine(session: Session) -> Engine:
    bind = session.get_bind()
    return bind.engine if isinstance(bind, Connection) else bind


def _next_values(engine: Engine, table: Table, count: int) -> list[int]:
    """``count`` values of ``table``'s sequence, taken on a connection of ``engine`` of their own."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        values = connection.execute(
            # the sequence found once (OFFSET 0 keeps the planner from putting the look-up back into
            # every row: 3 µs an id instead of 0.5 µs); the ids come as one array, which the driver
            # reads in C (a row each took 0.6 µs of this process's CPU – 2,000,000 quarter marks' ids)
            text("SELECT array_agg(v.id ORDER BY v.id) FROM (SELECT nextval(s.seq) AS id FROM (SELECT "
                 "CAST(pg_get_serial_sequence(:table, 'id') AS regclass) AS seq OFFSET 0) AS s "
                 "CROSS JOIN generate_series(1, :count)) AS v"),
            {"table": table.name, "count": count},
        ).scalar_one()
        return list(values or ())


def allocate_ids(session: Session, table: Table, count: int) -> list[int]:
    """``count`` fresh primary keys of ``table`` (its sequence on PostgreSQL, the max id on SQLite).

    On PostgreSQL ids are taken in blocks kept for the rest of the transaction (``ID_BLOCK_MAX``),
    on a connection of their own: a sequence is outside transactions, and a statement on the
    session's connection would first wait for every write queued on it (``copy_pipe``).
    On SQLite the caller's transaction holds the one write lock, so nobody else takes the ids.
    """
    if count == 0:
        return []
    if is_postgres(session):
        blocks: dict[str, _IdBlock] | None = session.info.get(_ID_BLOCKS)
        if blocks is None:
            blocks = session.info[_ID_BLOCKS] = {}
            if not event.contains(session, "after_transaction_end", _forget_id_blocks):
                event.listen(session, "after_transaction_end", _forget_id_blocks)
        block = blocks.setdefault(table.name, _IdBlock())
        if len(block.ids) < count and block.coming is not None:
            coming, block.coming = block.coming, None
            block.ids.extend(coming.result())  # a failed fetch is raised here, in the load's thread
        if len(block.ids) < count:
            wanted = max(count - len(block.ids), min(block.taken, ID_BLOCK_MAX))
            block.ids.extend(_next_values(_engine(session), table, wanted))
            block.taken += wanted
        handed = block.ids[:count]
        del block.ids[:count]
        step = min(block.taken, ID_BLOCK_MAX)
        if block.coming is None and block.taken >= PREFETCH_FROM and len(block.ids) < step // 2:
            block.coming = _prefetch(_engine(session), table, step)
            block.taken += step
        return handed
    start = int(session.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()) + 1
    handed_out: dict[str, int] | None = session.info.get(_SQLITE_NEXT)
    if handed_out is None:  # ids handed out but not written yet (a plan writes later) are not in max(id)
        handed_out = session.info[_SQLITE_NEXT] = {}
        if not event.contains(session, "after_transaction_end", _forget_id_blocks):
            event.listen(session, "after_transaction_end", _forget_id_blocks)
    start = max(start, handed_out.get(table.name, 0))
    handed_out[table.name] = start + count
    return list(range(start, start + count))


LOOKUP_BATCH = 500
"""Ids per ``IN`` list on SQLite (at most 32766 parameters a statement)."""


def rows_by_id(session: Session, table: Table, columns: Sequence[str], ids: Sequence[int]) -> list[tuple[Any, ...]]:
    """``(id, *columns)`` of the rows of ``table`` with ``ids`` (those that exist, each once), in no particular order.

    On PostgreSQL one statement whatever the number of ids: a probe of the primary key per id (a
    large packet grows the table inside its transaction, where the planner still sees it as it was
    and would scan it for a long ``IN`` list, as ``matching`` explains), the ids sent as one array
    (``array_literal``), the statement without the ORM's compilation of a thousand parameters.
    """
    wanted = sorted(set(ids))
    if not wanted:
        return []
    if is_postgres(session):
        names = ", ".join(f"t.{name}" for name in columns)
        # names come from the table's metadata, the ids travel as a parameter
        sql = text(
            f"SELECT t.id, {names} FROM unnest(CAST(:ids AS bigint[])) AS k(id) "  # noqa: S608
            f"CROSS JOIN LATERAL (SELECT * FROM {table.name} WHERE id = k.id OFFSET 0) AS t"
        )
        return [tuple(row) for row in session.execute(sql, {"ids": array_literal(wanted)})]
    found: list[tuple[Any, ...]] = []
    selected = [table.c.id, *(table.c[name] for name in columns)]
    for start in range(0, len(wanted), LOOKUP_BATCH):
        found.extend(tuple(row) for row in session.execute(
            select(*selected).where(table.c.id.in_(wanted[start : start + LOOKUP_BATCH]))
        ))
    return found


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


def copy_formatted(
    session: Session, table: Table, columns: Sequence[str], text: Callable[[], str], rows: Callable[[], list[Any]]
) -> None:
    """Insert rows made ready as COPY ``text`` on PostgreSQL, elsewhere the same ``rows`` as tuples."""
    if is_postgres(session):
        pipe_of(session).submit(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN", text())
    else:
        copy_rows(session, table, columns, rows())


def update_rows(
    session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]], key: Sequence[str] = ("id",)
) -> None:
    """``UPDATE table SET columns`` for every row ``(*key values, *values)`` – the row found by its id,
    or by the columns of ``key``: one statement on PostgreSQL.

    On PostgreSQL the rows travel as one array a column (``array_literal``: one text parameter,
    each element read by its column type's input function as a cast value of a ``VALUES`` list
    was), unnested and joined to the table (``UPDATE … FROM``), queued on the session's pipe behind
    the writes before it (nothing reads its result; the next read waits for it); elsewhere one
    ``executemany``.
    """
    if not rows:
        return
    width = len(key)
    if not is_postgres(session):
        params = [{**{f"_key_{name}": value for name, value in zip(key, row[:width], strict=True)},
                   **dict(zip(columns, row[width:], strict=True))} for row in rows]
        statement = update(table).where(*(table.c[name] == bindparam(f"_key_{name}") for name in key)).values(
            {name: bindparam(name) for name in columns}
        )
        session.execute(statement, params)
        return
    dialect = session.get_bind().dialect
    arrays = ", ".join(f"CAST(%s AS {table.c[name].type.compile(dialect)}[])" for name in (*key, *columns))
    assignments = ", ".join(f"{name} = v.{name}" for name in columns)
    names = ", ".join((*key, *columns))
    found = " AND ".join(f"t.{name} = v.{name}" for name in key)
    # names come from the table's metadata, values travel as parameters
    sql = f"UPDATE {table.name} AS t SET {assignments} FROM unnest({arrays}) AS v({names}) WHERE {found}"  # noqa: S608
    parameters = [array_literal(column) for column in zip(*rows, strict=True)]

    def write(cursor: Any) -> None:
        cursor.execute(sql, parameters)

    pipe_of(session).submit_write(write, sum(map(len, parameters)), sql)
