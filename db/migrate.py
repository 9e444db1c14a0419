"""Migrations (alembic, configured in code) and database initialisation."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect

from db.engine import make_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _run(url: str, action: str, revision: str) -> None:
    config = alembic_config(url)
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            getattr(command, action)(config, revision)
    finally:
        engine.dispose()


def upgrade(url: str, revision: str = "head") -> None:
    _run(url, "upgrade", revision)


def downgrade(url: str, revision: str = "base") -> None:
    _run(url, "downgrade", revision)


def table_names(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def initdb(url: str) -> None:
    """Migrate to head and load the classifiers and the base subject dictionary (idempotent)."""
    from db.seed import load_dictionaries

    upgrade(url)
    engine = make_engine(url)
    try:
        load_dictionaries(engine)
    finally:
        engine.dispose()
