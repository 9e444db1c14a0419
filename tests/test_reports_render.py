"""Every report of the catalogue builds and renders in every format; the files hold the report's numbers."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader
from sqlalchemy.orm import Session

from reports.catalogue import ALL_REPORTS, CATALOGUE, get_report
from reports.definition import FAMILIES, ReportDefinition, ReportResult
from reports.formatting import display
from reports.render import render
from reports.render_chart import NoChart
from tests.reportdata import (
    DATE_FROM,
    DATE_TO,
    LOADS_FROM,
    LOADS_TO,
    ON_DATE,
    SCHOOL_YEAR,
    build_dataset,
    insert_dataset,
)

VALUES = {
    "on_date": ON_DATE.isoformat(),
    "date_from": DATE_FROM.isoformat(),
    "date_to": DATE_TO.isoformat(),
    "school_year": str(SCHOOL_YEAR),
    "year": str(SCHOOL_YEAR),
}
LOAD_PERIOD = {"date_from": LOADS_FROM.isoformat(), "date_to": LOADS_TO.isoformat()}


def required_params(report: ReportDefinition) -> dict[str, str]:
    params = {spec.name: VALUES[spec.name] for spec in report.params if spec.required}
    return {**params, **LOAD_PERIOD} if report.code.startswith("STAT_LOAD") else params


def test_catalogue_names_every_report_once_with_consistent_columns() -> None:
    assert len(CATALOGUE) == len(ALL_REPORTS) >= 26
    assert {report.family for report in ALL_REPORTS} == set(FAMILIES)
    for report in ALL_REPORTS:
        keys = [column.key for column in report.columns]
        assert len(set(keys)) == len(keys), report.code
        assert re.fullmatch(r"[A-Z0-9_]+", report.code)
        assert re.search("[а-яА-Я]", report.title)
        if report.chart:
            assert report.chart.x in keys and set(report.chart.y) <= set(keys), report.code
        for column in report.columns:
            if column.ratio:
                assert set(column.ratio) <= set(keys) and column.type == "percent"


def _xlsx_rows(content: bytes, result: ReportResult) -> tuple[list[tuple], tuple | None]:
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    values = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    headings = tuple(column.heading for column in result.definition.columns)
    header = values.index(headings)
    assert sheet.freeze_panes == f"A{header + 2}"
    assert sheet.cell(row=header + 1, column=1).font.b
    assert values[0][0] == result.definition.title
    body = values[header + 1 :]
    if result.totals is None:
        return body, None
    return body[:-1], body[-1]


def _pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def _check_chart(result: ReportResult) -> None:
    png = render(result, "png")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(png)) as image:
        assert image.size[0] >= 600 and image.size[1] >= 300
    svg = render(result, "svg")
    assert b"<svg" in svg[:500] and svg.rstrip().endswith(b"</svg>")


def test_every_report_renders_in_every_format(session: Session) -> None:
    insert_dataset(session, build_dataset())
    for report in ALL_REPORTS:
        result = report.build(session, required_params(report), None)
        assert result.rows, report.code
        body, totals = _xlsx_rows(render(result, "xlsx"), result)
        assert body == [tuple(cell if cell != "" else None for cell in row) for row in result.rows], report.code
        if result.totals is not None:
            assert totals == result.totals
        text = _pdf_text(render(result, "pdf"))
        assert " ".join(report.title.split()[:3]) in " ".join(text.split()), report.code
        if result.totals is not None:
            flat = " ".join(text.split())
            for value, column in zip(result.totals, report.columns, strict=True):
                if value is not None:
                    assert display(value, column) in flat, (report.code, column.key)
        if report.chart:
            _check_chart(result)
        else:
            with pytest.raises(NoChart):
                render(result, "png")


def test_a_long_report_repeats_its_header_on_every_page(session: Session) -> None:
    insert_dataset(session, build_dataset())
    result = get_report("STRUCT_BY_AGE").build(session, {"on_date": ON_DATE.isoformat()}, None)
    long = ReportResult(
        definition=result.definition,
        params=result.params,
        rows=result.rows * 12,
        totals=result.totals,
        generated_at=result.generated_at,
    )
    reader = PdfReader(io.BytesIO(render(long, "pdf")))
    assert len(reader.pages) >= 3
    heading = "Полных лет на"
    assert all(heading in page.extract_text() for page in reader.pages[:-1])
    with pytest.raises(ValueError, match="формат"):
        render(long, "docx")
