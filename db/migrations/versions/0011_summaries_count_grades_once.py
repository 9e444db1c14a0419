"""the mark summaries' triggers group a statement's marks once by grade, then count (PostgreSQL)

Why: a packet's period marks go in by COPY of 20,000 rows, and the server writing them is what a load
waits for. The trigger of migration 0003 kept ``period_mark_summary`` by one grouping of the
statement's rows with eight ``SUM(CASE …)`` a row – 1.31 s of the server for 2,000,000 marks. Here the
rows are grouped by the summary's key and the two columns the counters read (``scale_code``,
``raw_value``) with one count a group, and the counters are summed over those few groups
(``FILTER``): 0.83 s. The functions keep their names and triggers; SQLite's row-level triggers and
the summaries' rows are unchanged.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29
"""

import importlib
from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SUMMARIES = importlib.import_module("db.migrations.versions.0003_report_aggregates")

GRADE_COLUMNS = ("scale_code", "raw_value")
"""The mark columns the counters' conditions read (``COUNTERS`` of migration 0003)."""


def _grouped(summary: str, source: str, count: str, having: bool) -> str:
    """SELECT of the summary columns over ``source``: its rows grouped by key and grade, counted by
    ``count``, then the counters summed over the groups (only groups that change anything with ``having``)."""
    names = [key for key, _ in _SUMMARIES.SUMMARIES[summary][1]]
    keys = [f"{expression} AS {name}" for expression, name in zip(_SUMMARIES._key_expressions(summary, ""), names,
                                                                  strict=True)]
    grouped = ", ".join(str(i + 1) for i in range(len(keys) + len(GRADE_COLUMNS)))
    grades = (f"SELECT {', '.join(keys + list(GRADE_COLUMNS))}, CAST({count} AS integer) AS n "
              f"FROM {source} GROUP BY {grouped}")
    sums = [f"SUM(n) FILTER (WHERE {condition.format(p='')})" for _, condition in _SUMMARIES.COUNTERS]
    listed = ", ".join(names)
    nonzero = f" HAVING {' OR '.join(f'{total} <> 0' for total in sums)}" if having else ""
    return (f"SELECT {listed}, {', '.join(f'COALESCE({total}, 0)' for total in sums)} "
            f"FROM ({grades}) AS g GROUP BY {listed}{nonzero}")


def _track(summary: str) -> str:
    columns = ", ".join(_SUMMARIES._columns(summary))
    order = f"ORDER BY {', '.join(str(i + 1) for i in range(len(_SUMMARIES.SUMMARIES[summary][1])))}"
    merge = _SUMMARIES._merge(summary)
    inserted = _grouped(summary, "new_rows", "count(*)", having=False)
    deleted = _grouped(summary, "old_rows", "-count(*)", having=False)
    updated = _grouped(
        summary, "(SELECT *, 1 AS sign FROM new_rows UNION ALL SELECT *, -1 AS sign FROM old_rows) AS c",
        "SUM(c.sign)", having=True,
    )
    return f"""
CREATE OR REPLACE FUNCTION {summary}_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO {summary} ({columns}) {inserted} {order} {merge};
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO {summary} ({columns}) {deleted} {order} {merge};
    ELSE
        INSERT INTO {summary} ({columns}) {updated} {order} {merge};
    END IF;
    RETURN NULL;
END $$;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for summary in _SUMMARIES.SUMMARIES:
            op.execute(_track(summary))


def downgrade() -> None:
    """The bodies of migration 0003."""
    if op.get_bind().dialect.name == "postgresql":
        for summary in _SUMMARIES.SUMMARIES:
            op.execute(_SUMMARIES._postgres_track(summary, "CREATE OR REPLACE FUNCTION"))
