"""``kontingent reports refresh``: rebuild the mark summaries the performance reports read and the
pre-joined enrolments (``report_enrolment``) the snapshot reports read, and the students'
surnames (``student_surname``) a student search counts its total on.

Triggers keep the summaries current on every write; run this after writes that bypass
triggers (TRUNCATE, a restore, a bulk load with triggers disabled).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from db.engine import make_engine, make_session_factory
from db.student_surnames import refresh_student_surnames
from kontingent_ws.settings import Settings
from reports.aggregates import refresh_mark_summaries
from reports.snapshot import refresh_report_enrolments


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("reports", help="обслуживание отчётов: пересчёт сводных таблиц")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    refresh = actions.add_parser("refresh", help="пересчитать сводные таблицы отметок, зачислений, фамилий")
    refresh.set_defaults(handler=_refresh)


def _refresh(args: argparse.Namespace) -> int:
    engine = make_engine(Settings.from_env().database_url, hide_parameters=True)
    started = time.perf_counter()
    try:
        with make_session_factory(engine)() as session:
            result = refresh_mark_summaries(session)
            enrolments = refresh_report_enrolments(session)
            surnames = refresh_student_surnames(session)
            session.commit()
    finally:
        engine.dispose()
    print(
        f"Сводные таблицы пересчитаны за {time.perf_counter() - started:.1f} с: "
        f"по дням – {result.diary_rows} строк, по периодам – {result.period_rows} строк, "
        f"зачислений – {enrolments} строк, фамилий обучающихся – {surnames} строк"
    )
    return 0
