"""The migrations build the schema of the models and take it down again, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from db.engine import make_engine
from db.migrate import downgrade, table_names, upgrade
from db.models import Base


def test_upgrade_to_head_and_downgrade_to_base(empty_db_url: str) -> None:
    upgrade(empty_db_url)
    engine = make_engine(empty_db_url)
    try:
        assert set(Base.metadata.tables) <= table_names(engine)
        downgrade(empty_db_url)
        assert table_names(engine) <= {"alembic_version"}
    finally:
        engine.dispose()


def test_models_and_migrations_agree(empty_db_url: str) -> None:
    upgrade(empty_db_url)
    engine = make_engine(empty_db_url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert differences == []
    finally:
        engine.dispose()
