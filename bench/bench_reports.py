"""Benchmark of every report of the catalogue, built to rows for the whole region on PostgreSQL.

    .venv/bin/python bench/bench_reports.py --students 300000          # fresh demo region, dropped after
    .venv/bin/python bench/bench_reports.py --url postgresql+psycopg2://postgres@127.0.0.1:5432/kt_bench_reports

Each report is built ``--runs`` times in its own transaction (the first run reads cold pages);
prints the first and the best time, the row count and whether the target (``--target`` seconds)
was met, then the time of a full rebuild of the mark summaries and of ``report_enrolment``
(``--refresh``, writes) and the sizes of the tables the reports read. Without ``--refresh`` it
only reads: the database must be at the alembic head (``kontingent initdb``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from db.engine import make_engine, make_session_factory
from db.migrate import initdb
from kontingent_ws.demo import DemoConfig, generate_demo
from reports.aggregates import refresh_mark_summaries
from reports.catalogue import ALL_REPORTS
from reports.snapshot import refresh_report_enrolments

SERVER = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
TABLES = ("student", "enrolment", "report_enrolment", "diary_mark", "period_mark", "diary_mark_daily",
          "diary_mark_monthly", "period_mark_summary")


def _admin(statement: str) -> None:
    engine = create_engine(SERVER, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


def _values(year: int) -> dict[str, str]:
    return {
        "on_date": f"{year}-10-01",
        "date_from": f"{year}-09-01",
        "date_to": f"{year + 1}-06-30",
        "school_year": str(year),
        "year": str(year),
    }


def bench_reports(engine: Engine, *, year: int, runs: int, target: float) -> list[tuple[str, float, float, int]]:
    """(code, first seconds, best seconds, rows) of every report, whole region."""
    factory = make_session_factory(engine)
    values = _values(year)
    results = []
    for report in ALL_REPORTS:
        params = {spec.name: values[spec.name] for spec in report.params if spec.required}
        times, rows = [], 0
        for _ in range(runs):
            with factory() as session:
                started = time.perf_counter()
                rows = len(report.build(session, params, None).rows)
                times.append(time.perf_counter() - started)
                session.rollback()
        results.append((report.code, times[0], min(times), rows))
        mark = "ok" if min(times) <= target else "SLOW"
        print(f"  {report.code:<32} first {times[0]:7.3f} s   best {min(times):7.3f} s   {rows:>6} rows   {mark}")
        sys.stdout.flush()
    return results


def _sizes(engine: Engine) -> None:
    with engine.connect() as connection:
        for table in TABLES:
            count = connection.execute(text(f"SELECT count(*) FROM {table}")).scalar()
            size = connection.execute(text(f"SELECT pg_size_pretty(pg_total_relation_size('{table}'))")).scalar()
            print(f"  {table:<24} {count:>12} rows  {size}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="PostgreSQL URL of a database holding a demo region (default: generate one)")
    parser.add_argument("--students", type=int, default=1_000_000, help="size of the generated region")
    parser.add_argument("--school-year", type=int, default=DemoConfig().school_year)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--target", type=float, default=2.0, help="seconds a report may take")
    parser.add_argument("--refresh", action="store_true", help="also time a full rebuild of the mark summaries")
    parser.add_argument("--keep", action="store_true", help="keep the database it created")
    args = parser.parse_args()

    created = None
    url = args.url
    if url is None:
        created = f"bench_reports_{uuid.uuid4().hex[:8]}"
        _admin(f'CREATE DATABASE "{created}"')
        url = make_url(SERVER).set(database=created).render_as_string(hide_password=False)
    try:
        engine = make_engine(url)
        if created:
            initdb(url)
            started = time.perf_counter()
            generate_demo(engine, DemoConfig(students=args.students, school_year=args.school_year))
            print(f"demo region of {args.students} students: {time.perf_counter() - started:.0f} s")
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE"))
        print("sizes:")
        _sizes(engine)
        print(f"reports, whole region, {args.runs} runs each (target {args.target} s):")
        results = bench_reports(engine, year=args.school_year, runs=args.runs, target=args.target)
        slow = [code for code, _first, best, _rows in results if best > args.target]
        print(f"slowest: {max(results, key=lambda r: r[2])[0]} {max(r[2] for r in results):.3f} s; "
              f"over target: {', '.join(slow) or 'none'}")
        if args.refresh:
            with make_session_factory(engine)() as session:
                started = time.perf_counter()
                refreshed = refresh_mark_summaries(session)
                session.commit()
            rows = f"{refreshed.diary_rows} daily, {refreshed.monthly_rows} monthly, {refreshed.period_rows} period"
            print(f"summary rebuild: {time.perf_counter() - started:.1f} s ({rows} rows)")
            with make_session_factory(engine)() as session:
                started = time.perf_counter()
                enrolments = refresh_report_enrolments(session)
                session.commit()
            print(f"report_enrolment rebuild: {time.perf_counter() - started:.1f} s ({enrolments} rows)")
        print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (other work slows the run)")
        engine.dispose()
    finally:
        if created and not args.keep:
            _admin(f'DROP DATABASE IF EXISTS "{created}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
