"""What a ``kontingent worker`` does with a report job: claim, build, render, keep the result.

Report jobs share the ``job`` table and its claiming (``FOR UPDATE SKIP LOCKED``, heartbeats,
retries) with packet loads. A job that cannot succeed (an unknown report, bad parameters, a
chart the report does not have) fails at once with the Russian reason; anything else is retried.
"""

from __future__ import annotations

import logging

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from db.models import Job
from db.retry import is_out_of_space, is_timeout
from kontingent_ws.errors import KontingentError, QueryTimeout, StorageFull
from kontingent_ws.usecases.intake import jobs
from kontingent_ws.usecases.intake.work import WorkerConfig
from kontingent_ws.usecases.reports import REPORT_JOB, table_json
from reports.catalogue import UnknownReport, get_report
from reports.params import ReportParamError
from reports.render import file_name, render
from reports.render_chart import NoChart

logger = logging.getLogger(__name__)


def produce(session: Session, params: dict[str, object]) -> tuple[bytes, str]:
    """Build the report a job describes: (content, result name)."""
    definition = get_report(str(params["code"]))
    raw = params.get("params")
    scope_unit_id = params.get("scope_unit_id")
    result = definition.build(
        session, raw if isinstance(raw, dict) else {}, scope_unit_id if isinstance(scope_unit_id, int) else None
    )
    fmt = str(params.get("format") or "")
    if fmt:
        return render(result, fmt), file_name(result, fmt)
    return table_json(result), f"{definition.code}.json"


def run_report_job(factory: sessionmaker[Session], config: WorkerConfig) -> bool:
    """Claim and build one report job; ``False`` when there was none."""
    with factory() as session:
        job = jobs.claim_next(session, worker=config.name, kinds=(REPORT_JOB,), stale_after=config.stale_after)
        if job is None:
            return False
        job_id, params = job.id, dict(job.params)
        engine = session.get_bind()
        try:
            with jobs.Heartbeat(engine, job_id, config.name, interval=config.heartbeat_seconds):  # type: ignore[arg-type]
                content, name = produce(session, params)
        except (UnknownReport, ReportParamError, NoChart) as error:
            session.rollback()
            reason = error.message if isinstance(error, UnknownReport) else str(error)
            jobs.finish(session, job_id, status="failed", error=reason)
            session.commit()
            logger.info("report job %s failed: %s", job_id, type(error).__name__)
            return True
        except Exception as exc:
            session.rollback()
            if is_timeout(exc):
                # The same query would run out of time again: fail now with the reason.
                jobs.finish(session, job_id, status="failed", error=_reason(QueryTimeout))
                session.commit()
                logger.info("report job %s failed: statement timeout", job_id)
                return True
            reason = _reason(StorageFull) if is_out_of_space(exc) else type(exc).__name__
            state = jobs.retry_later(session, job_id, error=reason)
            logger.exception("report job %s failed, now %s", job_id, state)
            return True
        session.execute(
            update(Job).where(Job.id == job_id).values(result=content, result_name=name)
            .execution_options(synchronize_session=False)
        )
        jobs.finish(session, job_id)
        session.commit()
        logger.info("report job %s (%s): %s bytes", job_id, params.get("code"), len(content))
    return True


def _reason(error: type[KontingentError]) -> str:
    """The reason a job keeps for a known failure: its fault code and Russian message."""
    return f"{error.code}: {error.default_message}"
