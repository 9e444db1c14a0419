"""Log line formats: ``text`` for developers, ``json`` (one object per line) for production.

Chosen by ``KONTINGENT_LOG_FORMAT``. The JSON line carries the call fields that
:mod:`kontingent_ws.metrics` attaches to its per-call record (request id, contract, operation,
caller kind and name, duration, outcome); payloads are never part of a record.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Mapping

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

CALL_FIELDS = ("request_id", "contract", "operation", "caller_kind", "caller_name", "duration_ms", "outcome")
"""Attributes of a log record copied into the JSON line when present."""

LOG_FORMATS = ("text", "json")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: timestamp (UTC, ISO 8601), level, logger, message, call fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "timestamp": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({name: record.__dict__[name] for name in CALL_FIELDS if name in record.__dict__})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def formatter_for(name: str) -> logging.Formatter:
    """The formatter of a ``KONTINGENT_LOG_FORMAT`` value; unknown values are refused."""
    if name == "json":
        return JsonFormatter()
    if name == "text":
        return logging.Formatter(TEXT_FORMAT)
    raise ValueError(f"KONTINGENT_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {name!r}")


def configure_logging(environ: Mapping[str, str] | None = None, *, level: int = logging.INFO) -> None:
    """Give the root logger one stderr handler in the chosen format (no-op if it already has one)."""
    env = os.environ if environ is None else environ
    handler = logging.StreamHandler()
    handler.setFormatter(formatter_for(env.get("KONTINGENT_LOG_FORMAT", "text").strip().lower() or "text"))
    logging.basicConfig(level=level, handlers=[handler])
