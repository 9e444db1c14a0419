"""The health answer for load balancers: is the process up and can it reach its database."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class Health:
    """Result of one health probe."""

    database_reachable: bool
    """Whether ``SELECT 1`` succeeded."""
    backend: str
    """Database kind (``postgresql``, ``sqlite``)."""

    @property
    def http_status(self) -> str:
        return "200 OK" if self.database_reachable else "503 Service Unavailable"

    def to_json(self) -> bytes:
        body = {
            "status": "ok" if self.database_reachable else "unavailable",
            "database": {"reachable": self.database_reachable, "backend": self.backend},
        }
        return json.dumps(body).encode("utf-8")


def probe(session_factory: Callable[[], Session]) -> Health:
    """Run ``SELECT 1`` in a fresh session; any database error means unreachable."""
    with session_factory() as session:
        backend = session.get_bind().dialect.name
        try:
            session.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            logger.warning("health: database unreachable exception=%s", type(exc).__name__)
            return Health(database_reachable=False, backend=backend)
    return Health(database_reachable=True, backend=backend)
