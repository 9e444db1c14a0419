"""gunicorn configuration of the service (``gunicorn -c kontingent_ws/gunicorn_conf.py``, or
``kontingent serve``, which reads this module and overrides bind/workers/timeout from its options).

Every value can be changed by environment variables, so one image serves every host.
"""

from __future__ import annotations

import gc
import os
from typing import Any

MAX_DEFAULT_WORKERS = 16
"""Cap of the default worker count (each worker holds its own database pool)."""


def default_workers(cpus: int | None = None) -> int:
    """``2 × cores + 1``, capped at :data:`MAX_DEFAULT_WORKERS`."""
    cores = cpus if cpus is not None else (os.cpu_count() or 1)
    return min(2 * cores + 1, MAX_DEFAULT_WORKERS)


wsgi_app = "kontingent_ws.app:make_app()"
bind = [os.environ.get("KONTINGENT_BIND", "127.0.0.1:8080")]
workers = int(os.environ.get("KONTINGENT_WORKERS") or default_workers())
worker_class = "sync"
# The application (every contract's WSDL) is built once in the master and shared by forking;
# make_app opens no database connection, so no connection crosses the fork.
preload_app = True
timeout = int(os.environ.get("KONTINGENT_TIMEOUT") or 120)
graceful_timeout = 30
keepalive = 5
max_requests = 10000
max_requests_jitter = 1000
limit_request_line = 8190
limit_request_fields = 100
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("KONTINGENT_LOG_LEVEL", "info")
# Method, path and query, status, size, time and the request id: never bodies or SOAP headers.
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s'
proc_name = "kontingent-ws"
# No runtime control socket: one less way in, and several instances per host do not share a path.
control_socket_disable = True


def on_starting(server: Any) -> None:
    """Master, before any worker: logs in ``KONTINGENT_LOG_FORMAT``, and a fresh per-run directory
    ``<data dir>/metrics/<master pid>`` where every worker keeps its metrics for ``/metrics``."""
    from kontingent_ws.logformat import configure_logging
    from kontingent_ws.metrics import enable_multiprocess
    from kontingent_ws.settings import Settings

    configure_logging()
    enable_multiprocess(Settings.from_env().data_dir)


def pre_fork(server: Any, worker: Any) -> None:
    """Master, before forking a worker: every object of the preloaded application (≈ 240,000: the
    contracts' models and WSDLs, lxml schemas, SQLAlchemy metadata) moved to the collector's
    permanent generation. A worker's full collection then walks only what it created itself;
    otherwise each one took 100–170 ms (a stall of every call in flight on that worker, the tail of
    the latencies), and the pages stay shared with the master instead of being copied when the
    collector touches them."""
    gc.freeze()


def child_exit(server: Any, worker: Any) -> None:
    """A worker is gone: its live gauges no longer count."""
    from kontingent_ws.metrics import worker_exited

    worker_exited(worker.pid)
