"""``kontingent initdb``: migrate the database to head and load the dictionaries (idempotent)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from db.migrate import initdb
from kontingent_ws.settings import Settings

log = logging.getLogger(__name__)


def ensure_sqlite_directory(url: str) -> None:
    """Create the directory of a SQLite database file (``var/`` by default)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("initdb", help="создать или обновить схему базы данных и загрузить справочники")
    parser.set_defaults(handler=run)


def run(_args: argparse.Namespace) -> int:
    url = Settings.from_env().database_url
    ensure_sqlite_directory(url)
    initdb(url)
    log.info("database %s is at head, dictionaries loaded", make_url(url).render_as_string(hide_password=True))
    return 0
