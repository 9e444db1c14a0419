"""What the demo generator is asked to build and what it reports back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True, kw_only=True)
class DemoConfig:
    """Size and shape of a generated demo region."""

    students: int = 5000
    """Exact number of ``student`` rows to create (current pupils, leavers and graduates together)."""
    seed: int = 1
    """Seed of the one random generator: the same seed gives the same region."""
    school_year: int = 2025
    """The school year of the classes and marks: it starts on 1 September of this year."""
    diary_marks_per_subject: int = 4
    """Current (diary) marks of one pupil in one subject over the school year."""
    region_code: str = "99"
    """Two-digit code of the region; prefixes ОКТМО, ИНН, КПП, ОГРН and passport series."""

    def __post_init__(self) -> None:
        if self.students < 1:
            raise ValueError("students must be positive")
        if self.diary_marks_per_subject < 0:
            raise ValueError("diary_marks_per_subject must not be negative")

    @property
    def as_of(self) -> dt.date:
        """The date the region is a snapshot of: the end of the school year (30 June)."""
        return dt.date(self.school_year + 1, 6, 30)

    @property
    def year_start(self) -> dt.date:
        return dt.date(self.school_year, 9, 1)


@dataclass(frozen=True, kw_only=True)
class DemoResult:
    """What one run of the generator wrote."""

    rows: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    """Rows written per table, in the order the tables were filled."""
    seconds: float = 0.0
    """Wall-clock time of the run."""
    skipped: bool = False
    """True when ``--if-empty`` found students and nothing was written."""

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())
