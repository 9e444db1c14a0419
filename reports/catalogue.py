"""The registry of every report the product offers, by stable code."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from sqlalchemy.orm import Session

from reports import forms, loads, performance, preschool, queue, schools, statistics, structure
from reports.definition import FAMILIES, ReportDefinition, ReportResult

ALL_REPORTS: tuple[ReportDefinition, ...] = (
    *statistics.REPORTS,
    *loads.REPORTS,
    *preschool.REPORTS,
    *schools.REPORTS,
    *performance.REPORTS,
    *queue.REPORTS,
    *structure.REPORTS,
    *forms.REPORTS,
)
"""Every report, grouped by family in the order of ``FAMILIES``."""

CATALOGUE: Mapping[str, ReportDefinition] = MappingProxyType({report.code: report for report in ALL_REPORTS})


class UnknownReport(LookupError):
    """No report has this code."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.message = f"Отчёт с кодом {code!r} не найден"


def get_report(code: str) -> ReportDefinition:
    """The report with ``code`` (``UnknownReport`` if there is none)."""
    try:
        return CATALOGUE[code]
    except KeyError:
        raise UnknownReport(code) from None


def list_reports(family: str | None = None) -> list[ReportDefinition]:
    """Reports in catalogue order, all or of one family."""
    ordered = sorted(ALL_REPORTS, key=lambda report: list(FAMILIES).index(report.family))
    return [report for report in ordered if family is None or report.family == family]


def build_report(session: Session, code: str, params: Mapping[str, object], scope_unit_id: int | None) -> ReportResult:
    """Build the report ``code`` for a caller whose scope is ``scope_unit_id`` (None: the whole region)."""
    return get_report(code).build(session, params, scope_unit_id)
