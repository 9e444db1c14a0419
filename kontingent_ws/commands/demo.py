"""``kontingent demo --students N``: fill the database with a generated demo region."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from db.engine import make_engine
from kontingent_ws.commands.initdb import ensure_sqlite_directory
from kontingent_ws.demo import DemoConfig, generate_demo
from kontingent_ws.errors import KontingentError
from kontingent_ws.settings import Settings

log = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    defaults = DemoConfig()
    parser = subparsers.add_parser("demo", help="сгенерировать демонстрационный регион")
    parser.add_argument("--students", type=int, default=defaults.students, help="число обучающихся")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="зерно генератора (тот же seed – те же данные)")
    parser.add_argument("--school-year", type=int, default=defaults.school_year,
                        help="учебный год классов и отметок (год 1 сентября)")  # fmt: skip
    parser.add_argument("--diary-marks-per-subject", type=int, default=defaults.diary_marks_per_subject,
                        help="текущих отметок у ученика по предмету за год")  # fmt: skip
    parser.add_argument("--if-empty", action="store_true", help="ничего не делать, если обучающиеся уже есть")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    config = DemoConfig(
        students=args.students,
        seed=args.seed,
        school_year=args.school_year,
        diary_marks_per_subject=args.diary_marks_per_subject,
    )
    url = Settings.from_env().database_url
    ensure_sqlite_directory(url)
    engine = make_engine(url)
    try:
        result = generate_demo(engine, config, if_empty=args.if_empty)
    except KontingentError as error:
        log.error("%s", error.message)
        return 1
    finally:
        engine.dispose()
    if result.skipped:
        log.info("students already exist: demo region not generated (--if-empty)")
        return 0
    log.info("demo region: %d students, %d rows in %.1f s", config.students, result.total_rows, result.seconds)
    for table, count in result.rows.items():
        log.info("  %-24s %10d", table, count)
    return 0
