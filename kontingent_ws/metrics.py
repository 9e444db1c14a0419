"""Prometheus metrics of the service and the one log line per SOAP call.

Counters and the latency histogram live in prometheus_client's default registry. Under gunicorn
(``kontingent serve``) :func:`enable_multiprocess` points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh
per-run directory so that ``/metrics`` sums every worker; without it (tests, one process) the
default registry is scraped. Queue depths are not counted by the workers but read from the
database at scrape time (:func:`queue_snapshot`), so they are right whichever worker answers.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import values as prometheus_values
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from db.models.exchange import Job, Packet, SmevMessage
from kontingent_ws.security.caller import Caller

logger = logging.getLogger(__name__)
call_logger = logging.getLogger("kontingent_ws.calls")

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Seconds: from a cached lookup (5 ms) to a heavy search near the request timeout (10 s)."""

CALLS = Counter("kontingent_calls", "SOAP calls served", ["contract", "operation"])
FAULTS = Counter("kontingent_faults", "SOAP calls answered with a fault", ["contract", "operation", "code"])
LATENCY = Histogram(
    "kontingent_call_duration_seconds", "Time to serve a SOAP call", ["contract", "operation"],
    buckets=LATENCY_BUCKETS,
)

QUEUE_STATUSES: dict[str, tuple[str, ...]] = {
    "packet": ("queued", "processing"),
    "job": ("queued", "running"),
    "smev_message": ("received", "acknowledged", "processing", "sent"),
}
"""Statuses counted as waiting, per queue (SMEV: not yet answered, delivered or failed)."""

_QUEUE_COLUMNS = {"packet": Packet.status, "job": Job.status, "smev_message": SmevMessage.status}


@dataclass(frozen=True, kw_only=True)
class QueueSnapshot:
    """How much work waits in the database right now."""

    depths: dict[str, dict[str, int]]
    """Rows per queue and waiting status (every status of :data:`QUEUE_STATUSES`, zeros included)."""
    oldest_queued_job_seconds: float
    """Age of the oldest queued job; 0 when none is queued."""

    def to_dict(self) -> dict[str, object]:
        return {**self.depths, "oldest_queued_job_seconds": round(self.oldest_queued_job_seconds, 3)}


def queue_snapshot(session: Session, *, now: dt.datetime | None = None) -> QueueSnapshot:
    """Count waiting rows per queue and status, and age the oldest queued job (three small queries)."""
    depths: dict[str, dict[str, int]] = {}
    for queue, statuses in QUEUE_STATUSES.items():
        column = _QUEUE_COLUMNS[queue]
        counted = dict(
            session.execute(select(column, func.count()).where(column.in_(statuses)).group_by(column)).tuples().all()
        )
        depths[queue] = {status: int(counted.get(status, 0)) for status in statuses}
    oldest = session.scalar(select(func.min(Job.created_at)).where(Job.status == "queued"))
    age = 0.0
    if oldest is not None:
        created = oldest if oldest.tzinfo else oldest.replace(tzinfo=dt.UTC)
        age = max(0.0, ((now or dt.datetime.now(dt.UTC)) - created).total_seconds())
    return QueueSnapshot(depths=depths, oldest_queued_job_seconds=age)


class QueueCollector(Collector):
    """Queue gauges read from the database at scrape time; nothing when it is unreachable."""

    def __init__(self, session_factory: Callable[[], Session]) -> None:
        self.session_factory = session_factory

    def collect(self) -> Iterator[Metric]:
        try:
            with self.session_factory() as session:
                snapshot = queue_snapshot(session)
        except SQLAlchemyError as exc:
            logger.warning("metrics: queues not read exception=%s", type(exc).__name__)
            return
        depth = GaugeMetricFamily(
            "kontingent_queue_depth", "Rows waiting per queue and status", labels=["queue", "status"]
        )
        for queue, counts in snapshot.depths.items():
            for status, count in counts.items():
                depth.add_metric([queue, status], count)
        yield depth
        yield GaugeMetricFamily(
            "kontingent_job_oldest_queued_age_seconds", "Age of the oldest queued job",
            value=snapshot.oldest_queued_job_seconds,
        )


class _ProcessLocal(Collector):
    """The default registry, scraped as one collector of a per-scrape registry."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def render(session_factory: Callable[[], Session]) -> tuple[bytes, str]:
    """The ``/metrics`` body and content type: call metrics (all workers when multiprocess) and queues."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get(MULTIPROC_ENV):
        MultiProcessCollector(registry)
    else:
        registry.register(_ProcessLocal())
    registry.register(QueueCollector(session_factory))
    return generate_latest(registry), CONTENT_TYPE_LATEST


def observe_call(
    *, contract: str, operation: str, request_id: str, caller: object | None, seconds: float, fault_code: str | None
) -> None:
    """Count one finished call, time it, and write its log line (never its payload)."""
    CALLS.labels(contract, operation).inc()
    LATENCY.labels(contract, operation).observe(seconds)
    if fault_code is not None:
        FAULTS.labels(contract, operation, fault_code).inc()
    kind, name = (caller.kind, caller.name) if isinstance(caller, Caller) else ("-", "-")
    fields = {
        "request_id": request_id,
        "contract": contract,
        "operation": operation,
        "caller_kind": kind,
        "caller_name": name,
        "duration_ms": round(seconds * 1000, 1),
        "outcome": fault_code or "ok",
    }
    call_logger.info(" ".join(f"{key}={value}" for key, value in fields.items()), extra=fields)


def enable_multiprocess(data_dir: Path, *, pid: int | None = None) -> Path:
    """Make ``<data_dir>/metrics/<pid>`` the empty multiprocess directory of this run and switch
    prometheus_client to it; directories of runs whose process is gone are removed.

    Call in the gunicorn master before workers are forked (the ``on_starting`` hook) and before any
    labelled metric is first used: prometheus_client picks its value store when it is imported,
    so the store is chosen again here.
    """
    run_pid = pid if pid is not None else os.getpid()
    root = data_dir / "metrics"
    if root.is_dir():
        for stale in root.iterdir():
            if not stale.name.isdigit() or int(stale.name) == run_pid or not _alive(int(stale.name)):
                shutil.rmtree(stale, ignore_errors=True)
    directory = root / str(run_pid)
    directory.mkdir(parents=True, exist_ok=True)
    os.environ[MULTIPROC_ENV] = str(directory.resolve())
    prometheus_values.ValueClass = prometheus_values.get_value_class()
    return directory


def worker_exited(pid: int) -> None:
    """gunicorn ``child_exit`` hook: drop the live gauges of a dead worker (multiprocess only)."""
    if os.environ.get(MULTIPROC_ENV):
        mark_process_dead(pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
