"""The state shared by the steps of one generator run."""

from __future__ import annotations

import datetime as dt
import random

from kontingent_ws.demo.config import DemoConfig
from kontingent_ws.demo.requisites import Requisites
from kontingent_ws.demo.writer import BulkWriter, IdAllocator

UTC = dt.UTC


class Context:
    """Random generator, writer, id counters, identifiers and the change-log version counter."""

    def __init__(self, config: DemoConfig, writer: BulkWriter, base_subjects: dict[str, int]):
        self.config = config
        self.rng = random.Random(config.seed)
        self.writer = writer
        self.ids = IdAllocator(writer.max_ids())
        self.requisites = Requisites(config.seed, config.region_code)
        self.base_subjects = base_subjects
        """Regional base subject code → id."""
        self.as_of = config.as_of
        self.year = config.school_year
        self.parents: dict[int, int | None] = {}
        """Parent of every generated authority and organization, for the closure table."""

    def add(self, table: str, row: tuple[object, ...]) -> None:
        self.writer.add(table, row)

    def change(self, entity: str, entity_id: int, org_unit_id: int | None, day: dt.date) -> None:
        """One ``upsert`` row of the change log, stamped at noon of ``day``."""
        at = dt.datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC)
        self.writer.add("change_log", (self.ids("change_log"), entity, entity_id, "upsert", org_unit_id, at))
