"""Benchmark of the demo-region generator on PostgreSQL (COPY path).

    .venv/bin/python bench/bench_demo_generator.py --students 1000000

Without ``--url`` a fresh database is created on 127.0.0.1:5432 (user postgres) and dropped
afterwards. Prints elapsed seconds, students per second, rows per table, the database size and
the peak resident memory and CPU time of this process.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from db.engine import make_engine
from db.migrate import initdb
from kontingent_ws.demo import DemoConfig, generate_demo

SERVER = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"


def _admin(statement: str) -> None:
    engine = create_engine(SERVER, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="PostgreSQL URL of an empty database (default: a fresh one, dropped after)")
    parser.add_argument("--students", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--diary-marks-per-subject", type=int, default=DemoConfig().diary_marks_per_subject)
    parser.add_argument("--keep", action="store_true", help="keep the database it created")
    args = parser.parse_args()

    created = None
    url = args.url
    if url is None:
        created = f"bench_demo_{uuid.uuid4().hex[:8]}"
        _admin(f'CREATE DATABASE "{created}"')
        url = make_url(SERVER).set(database=created).render_as_string(hide_password=False)
    try:
        initdb(url)
        config = DemoConfig(
            students=args.students, seed=args.seed, diary_marks_per_subject=args.diary_marks_per_subject
        )
        engine = make_engine(url)
        started = time.perf_counter()
        result = generate_demo(engine, config)
        elapsed = time.perf_counter() - started
        with engine.connect() as connection:
            size = connection.execute(text("SELECT pg_size_pretty(pg_database_size(current_database()))")).scalar()
        engine.dispose()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        peak_mb = usage.ru_maxrss / 1024
        print(f"students:          {args.students}")
        print(f"diary marks/subj:  {args.diary_marks_per_subject}")
        print(f"elapsed:           {elapsed:.1f} s")
        print(f"students/s:        {args.students / elapsed:.0f}")
        print(f"rows written:      {result.total_rows} ({result.total_rows / elapsed:.0f} rows/s)")
        print(f"database size:     {size}")
        print(f"peak RSS:          {peak_mb:.0f} MiB")
        print(f"generator CPU:     {usage.ru_utime + usage.ru_stime:.0f} s (user+system of this process)")
        print(f"load average:      {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (other work slows the run)")
        print("rows per table:")
        for table, count in result.rows.items():
            print(f"  {table:<24} {count:>12}")
    finally:
        if created and not args.keep:
            _admin(f'DROP DATABASE IF EXISTS "{created}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
