"""What a report is: its parameters, columns, chart and query; and what building it yields."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import text
from sqlalchemy.orm import Session

from reports.params import ParamSpec, ParamValue, resolve_params

REPORT_WORK_MEM = "128MB"
"""PostgreSQL ``work_mem`` while a report is built (hash tables of the per-student groups)."""

ColumnType = Literal["int", "float", "str", "percent"]
ChartKind = Literal["bar", "line", "stacked-bar"]
Cell = int | float | str | None
Row = tuple[Cell, ...]
Query = Callable[[Session, Mapping[str, ParamValue], "int | None"], list[Row]]

FAMILIES: Mapping[str, str] = {
    "statistics": "Статистика",
    "preschool": "Дошкольные образовательные организации",
    "schools": "Общеобразовательные организации",
    "queue": "Очередь в дошкольные образовательные организации",
    "structure": "Структура контингента",
    "forms": "Статистические формы",
}
"""Report families with their Russian titles, in display order."""


@dataclass(frozen=True, kw_only=True)
class Column:
    """One column of a report table."""

    key: str
    """Stable machine name (used by the SOAP contract and the tests)."""
    heading: str
    """Russian heading shown in Excel, PDF and charts."""
    type: ColumnType = "int"
    """``percent`` holds a value from 0 to 100."""
    total: bool = False
    """Whether the totals row sums this column."""
    ratio: tuple[str, str] | None = None
    """For a percent column: (numerator key, denominator key), recomputed in the totals row."""


@dataclass(frozen=True, kw_only=True)
class ChartSpec:
    """How a report is drawn: one x column and the y columns plotted against it."""

    kind: ChartKind
    x: str
    y: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class ReportResult:
    """The rows of one built report, with the parameters it was built for."""

    definition: ReportDefinition
    params: Mapping[str, ParamValue]
    rows: list[Row]
    totals: Row | None
    generated_at: dt.datetime

    def column_values(self, key: str) -> list[Cell]:
        """The values of one column, in row order."""
        index = self.definition.column_index(key)
        return [row[index] for row in self.rows]


@dataclass(frozen=True, kw_only=True)
class ReportDefinition:
    """A report of the catalogue: stable code, Russian title, parameters, columns and query."""

    code: str
    title: str
    family: str
    params: tuple[ParamSpec, ...]
    columns: tuple[Column, ...]
    query: Query = field(repr=False)
    """Aggregating query: (session, resolved params, scope unit id) → rows in column order."""
    chart: ChartSpec | None = None
    description: str = ""
    runs_as_job: bool = False
    """Too heavy to build for the whole region during a SOAP call: the Reports contract queues it
    for a worker when the caller's scope is the region (a scoped caller still gets it at once)."""

    @property
    def family_title(self) -> str:
        return FAMILIES[self.family]

    def column_index(self, key: str) -> int:
        for index, column in enumerate(self.columns):
            if column.key == key:
                return index
        raise KeyError(key)

    def resolve(self, raw: Mapping[str, object]) -> dict[str, ParamValue]:
        """Typed parameter values with defaults filled in (``ReportParamError`` on bad input)."""
        return resolve_params(self.params, raw)

    def build(self, session: Session, params: Mapping[str, object], scope_unit_id: int | None) -> ReportResult:
        """Run the query within ``scope_unit_id`` (None: the whole region) and add the totals row."""
        resolved = self.resolve(params)
        if session.get_bind().dialect.name == "postgresql":
            # a region-wide report groups about a million enrolments in memory; for this transaction only
            session.execute(text(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'"))
        rows = self.query(session, resolved, scope_unit_id)
        return ReportResult(
            definition=self,
            params=resolved,
            rows=rows,
            totals=self._totals(rows),
            generated_at=dt.datetime.now(dt.UTC),
        )

    def _totals(self, rows: Sequence[Row]) -> Row | None:
        if not any(column.total or column.ratio for column in self.columns):
            return None
        sums: dict[str, Cell] = {}
        for index, column in enumerate(self.columns):
            if column.total:
                values = [row[index] for row in rows if isinstance(row[index], int | float)]
                sums[column.key] = sum(values)  # type: ignore[arg-type]
        cells: list[Cell] = []
        for column in self.columns:
            if column.key in sums:
                cells.append(sums[column.key])
            elif column.ratio is not None:
                numerator, denominator = (sums.get(key) for key in column.ratio)
                cells.append(percent(numerator, denominator))
            else:
                cells.append(None)
        if cells[0] is None:
            cells[0] = "Итого"
        return tuple(cells)


def percent(numerator: Cell, denominator: Cell) -> float | None:
    """``numerator`` as a percentage of ``denominator``, two decimals; None when undefined."""
    if not isinstance(numerator, int | float) or not isinstance(denominator, int | float) or not denominator:
        return None
    return round(100.0 * numerator / denominator, 2)
