"""Server-side prepared statements for the hot read paths on PostgreSQL (psycopg2).

psycopg2 sends every statement as text, so PostgreSQL parses and plans each portfolio or diary
query anew on every call: for a lookup by key that is most of what the server spends on it
(≈ 0.1–0.2 ms a statement here, against a few tens of microseconds to run the plan), and
SQLAlchemy's execution path costs as much again in the service. A :class:`PreparedQuery` wraps a
Core select built once: on PostgreSQL with psycopg2 it is ``PREPARE``d once per database
connection (prepared statements outlive transactions and rollbacks; they end with the
connection) and then run with ``EXECUTE`` on the raw driver cursor, its rows passed through the
same result processors SQLAlchemy would apply; on any other database it runs the Core statement
as before. Errors are raised as SQLAlchemy raises them, with parameters hidden, and a lost
connection is invalidated.

Only for statements whose plan does not depend on the values (lookups by id, by id lists): after
five executions PostgreSQL may switch to a generic plan. Searches by prefix or ranges keep their
per-call plans.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, exc
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import Insert, Select
from sqlalchemy.sql.elements import BindParameter

_PREPARED_KEY = "kontingent_prepared"
"""Key in a pooled connection's ``info``: the names prepared on that database connection."""

_EXPANDING = re.compile(r"IN \(__\[POSTCOMPILE_(\w+)\]\)")
_NAMED = re.compile(r"%\((\w+)\)s")


@dataclass(frozen=True)
class _Compiled:
    name: str
    prepare: str
    execute: str
    names: tuple[str, ...]
    fixed: dict[str, Any]
    """Values written into the statement (``column == "1"``), by parameter name."""
    bind_processors: tuple[Callable[[Any], Any] | None, ...]
    result_processors: tuple[Callable[[Any], Any] | None, ...] | None
    """Per selected column; known after the first rows (the driver's column types select them)."""


def is_prepared_here(connection: Connection) -> bool:
    """Whether statements are prepared on this connection's database (PostgreSQL with psycopg2)."""
    return connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg2"


def as_sqlalchemy_error(
    connection: Connection, raw: Any, statement: str, parameters: Any, error: Any
) -> Exception:
    """A psycopg2 error met on ``connection``'s raw driver connection as SQLAlchemy would raise it
    (its parameters hidden); a lost connection is invalidated, so it is never pooled again."""
    from psycopg2 import Error as DriverError

    disconnect = connection.dialect.is_disconnect(error, raw, None)
    if disconnect:
        connection.invalidate(error)
    return exc.DBAPIError.instance(
        statement, parameters, error, DriverError, hide_parameters=True, connection_invalidated=disconnect
    )


class PreparedQuery:
    """A Core select run as a prepared statement on PostgreSQL (see the module docstring)."""

    def __init__(self, statement: Select[Any] | Insert, *, name: str) -> None:
        self.statement = statement
        self.label = name
        self._compiled: dict[str, _Compiled] = {}
        columns = getattr(statement, "selected_columns", ())
        keys = [column.key or f"column_{index}" for index, column in enumerate(columns)]
        self._row_type: Any = namedtuple("PreparedRow", keys, rename=True)  # type: ignore[misc]
        """Rows are named tuples: read by position or, as SQLAlchemy's rows, by column key."""

    def rows(self, connection: Connection, parameters: Mapping[str, Any]) -> Sequence[Any]:
        """Every row of the statement for ``parameters`` (named tuples on PostgreSQL, SQLAlchemy rows
        elsewhere: both read by position or by column key; none for a statement that returns none)."""
        dialect = connection.dialect
        if not is_prepared_here(connection):
            result = connection.execute(self.statement, dict(parameters))
            return result.all() if result.returns_rows else []
        compiled = self._compiled.get(dialect.name) or self._compile(dialect)
        values = [
            value if processor is None else processor(value)
            for value, processor in zip(
                (parameters[name] if name not in compiled.fixed else compiled.fixed[name] for name in compiled.names),
                compiled.bind_processors,
                strict=True,
            )
        ]
        pooled = connection.connection
        raw = pooled.dbapi_connection
        prepared: set[str] = pooled.info.setdefault(_PREPARED_KEY, set())
        from psycopg2 import Error as DriverError

        statement = compiled.execute
        try:
            with raw.cursor() as cursor:  # type: ignore[union-attr]
                if compiled.name not in prepared:
                    statement = compiled.prepare
                    cursor.execute(statement)
                    prepared.add(compiled.name)
                    statement = compiled.execute
                cursor.execute(statement, values)
                found = cursor.fetchall() if cursor.description is not None else []
                if found and compiled.result_processors is None:
                    compiled = self._with_result_processors(dialect, compiled, cursor.description)
        except DriverError as error:
            raise as_sqlalchemy_error(connection, raw, statement, values, error) from error
        make = self._row_type._make
        processors = compiled.result_processors
        if not processors or not any(processors):
            return [make(row) for row in found]
        return [
            make(value if convert is None else convert(value) for value, convert in zip(row, processors, strict=True))
            for row in found
        ]

    def first(self, connection: Connection, parameters: Mapping[str, Any]) -> Any:
        found = self.rows(connection, parameters)
        return found[0] if found else None

    def _with_result_processors(self, dialect: Dialect, compiled: _Compiled, description: Any) -> _Compiled:
        columns = getattr(self.statement, "selected_columns", ())
        processors = tuple(
            column.type._cached_result_processor(dialect, described[1])
            for column, described in zip(columns, description, strict=True)
        )
        compiled = dataclasses.replace(compiled, result_processors=processors)
        self._compiled[dialect.name] = compiled
        return compiled

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": False})
        text = _EXPANDING.sub(r"= ANY(%(\1)s)", compiled.string)
        if "POSTCOMPILE" in text:
            raise ValueError(f"{self.label}: only `IN` lists of bound values can be prepared")
        binds: dict[str, BindParameter[Any]] = dict(compiled.binds)
        names: list[str] = []

        def positional(match: re.Match[str]) -> str:
            key = match.group(1)
            if key not in names:
                names.append(key)
            return f"${names.index(key) + 1}"

        # The driver's escaping of a literal ``%`` is undone: PREPARE is sent without parameters.
        body = _NAMED.sub(positional, text).replace("%%", "%")
        types = []
        bind_processors: list[Callable[[Any], Any] | None] = []
        for key in names:
            bind = binds[key]
            # an untyped value is left for the server to infer from its place in the statement
            sql_type = "unknown" if bind.type._isnull else dialect.type_compiler_instance.process(bind.type)
            types.append(f"{sql_type}[]" if bind.expanding else sql_type)
            processor = bind.type._cached_bind_processor(dialect)
            bind_processors.append(_each(processor) if processor is not None and bind.expanding else processor)
        header = f" ({', '.join(types)})" if types else ""
        # The name carries a digest of the text: a changed query never meets a connection that
        # holds its former text under the same name.
        name = f"k_{self.label}_{hashlib.blake2s(body.encode('utf-8'), digest_size=5).hexdigest()}"
        placeholders = f"({', '.join(['%s'] * len(names))})" if names else ""
        compiled_for = _Compiled(
            name=name,
            prepare=f"PREPARE {name}{header} AS {body}",
            execute=f"EXECUTE {name}{placeholders}",
            names=tuple(names),
            fixed={key: binds[key].effective_value for key in names if not binds[key].required},
            bind_processors=tuple(bind_processors),
            result_processors=None,
        )
        self._compiled[dialect.name] = compiled_for
        return compiled_for


def _each(processor: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A bind processor applied to every value of an ``IN`` list."""
    return lambda values: [processor(value) for value in values]
