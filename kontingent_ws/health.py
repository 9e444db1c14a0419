"""The health answer for load balancers: is the process up, can it reach its database, how much
work waits in its queues."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from kontingent_ws.metrics import QueueSnapshot, queue_snapshot

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class Health:
    """Result of one health probe."""

    database_reachable: bool
    """Whether ``SELECT 1`` succeeded."""
    backend: str
    """Database kind (``postgresql``, ``sqlite``)."""
    queues: QueueSnapshot | None = None
    """Depths of the work queues; ``None`` (left out of the JSON) when they could not be read."""

    @property
    def http_status(self) -> str:
        return "200 OK" if self.database_reachable else "503 Service Unavailable"

    def to_json(self) -> bytes:
        body: dict[str, object] = {
            "status": "ok" if self.database_reachable else "unavailable",
            "database": {"reachable": self.database_reachable, "backend": self.backend},
        }
        if self.queues is not None:
            body["queues"] = self.queues.to_dict()
        return json.dumps(body).encode("utf-8")


def probe(session_factory: Callable[[], Session]) -> Health:
    """Run ``SELECT 1`` and count the queues in a fresh session; a failing ``SELECT 1`` means
    unreachable, failing queue counts (a database not yet migrated) leave the queues out."""
    with session_factory() as session:
        backend = session.get_bind().dialect.name
        try:
            session.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            logger.warning("health: database unreachable exception=%s", type(exc).__name__)
            return Health(database_reachable=False, backend=backend)
        try:
            queues: QueueSnapshot | None = queue_snapshot(session)
        except SQLAlchemyError as exc:
            logger.warning("health: queues not read exception=%s", type(exc).__name__)
            session.rollback()
            queues = None
    return Health(database_reachable=True, backend=backend, queues=queues)
