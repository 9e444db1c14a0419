"""One entry point that renders a built report to bytes in any supported format."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from reports.definition import ReportResult
from reports.render_chart import render_chart
from reports.render_pdf import render_pdf
from reports.render_xlsx import render_xlsx

MEDIA_TYPES: Mapping[str, str] = MappingProxyType(
    {
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pdf": "application/pdf",
        "png": "image/png",
        "svg": "image/svg+xml",
    }
)
FORMATS = tuple(MEDIA_TYPES)


def render(result: ReportResult, fmt: str) -> bytes:
    """``result`` as an Excel workbook, a PDF document or a chart (png/svg); ``ValueError`` otherwise."""
    if fmt == "xlsx":
        return render_xlsx(result)
    if fmt == "pdf":
        return render_pdf(result)
    if fmt in ("png", "svg"):
        return render_chart(result, fmt)
    raise ValueError(f"Неизвестный формат отчёта: {fmt}")


def file_name(result: ReportResult, fmt: str) -> str:
    """A file name for the rendered report: code and generation date."""
    return f"{result.definition.code}_{result.generated_at:%Y%m%d}.{fmt}"
