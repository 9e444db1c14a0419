"""PDF rendering (fpdf2): Cyrillic TTF, A4 (landscape when wide), paginated table, totals, chart."""

from __future__ import annotations

import io
import logging
from functools import cache
from pathlib import Path

import matplotlib
from fpdf import FPDF, FontFace
from fpdf.enums import TableCellFillMode

from reports.definition import ReportResult
from reports.formatting import display, generated_line
from reports.render_chart import render_chart

logging.getLogger("fontTools").setLevel(logging.WARNING)
"""fpdf2 subsets the embedded font with fontTools, which reports every table it prunes at INFO."""

FONT = "DejaVu"
PORTRAIT_COLUMNS = 6
"""Above this many columns (or this much text) the page turns to landscape."""
PORTRAIT_CHARACTERS = 110


@cache
def font_files() -> tuple[Path, Path]:
    """DejaVu Sans regular and bold, as shipped with matplotlib (they cover Cyrillic)."""
    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"


class _Document(FPDF):
    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(FONT, size=7)
        self.cell(0, 5, f"Страница {self.page_no()} из {{nb}}", align="R")


def render_pdf(result: ReportResult) -> bytes:
    """The report as a PDF document."""
    definition = result.definition
    widths = _character_widths(result)
    landscape = len(definition.columns) > PORTRAIT_COLUMNS or sum(widths) > PORTRAIT_CHARACTERS
    pdf = _Document(orientation="L" if landscape else "P", unit="mm", format="A4")
    regular, bold = font_files()
    pdf.add_font(FONT, "", str(regular))
    pdf.add_font(FONT, "B", str(bold))
    pdf.set_auto_page_break(auto=True, margin=14)
    pdf.set_title(definition.title)
    pdf.set_creator("kontingent-ws")
    pdf.add_page()
    pdf.set_font(FONT, "B", 13)
    pdf.multi_cell(0, 6, definition.title, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    pdf.set_font(FONT, size=8)
    for spec in definition.params:
        pdf.multi_cell(
            0, 4.5, f"{spec.label}: {spec.display(result.params.get(spec.name))}", new_x="LMARGIN", new_y="NEXT"
        )
    if definition.description:
        pdf.multi_cell(0, 4.5, definition.description, new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 4.5, generated_line(result.generated_at), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    _table(pdf, result, widths)
    if definition.chart is not None and result.rows:
        _chart(pdf, result)
    return bytes(pdf.output())


def _character_widths(result: ReportResult) -> list[int]:
    widths = []
    for index, column in enumerate(result.definition.columns):
        longest = max((len(display(row[index], column)) for row in result.rows), default=1)
        heading = max(len(word) for word in column.heading.split())
        widths.append(min(max(longest, heading, 5), 45))
    return widths


def _table(pdf: FPDF, result: ReportResult, widths: list[int]) -> None:
    columns = result.definition.columns
    aligns = tuple("LEFT" if column.type == "str" else "RIGHT" for column in columns)
    heading_style = FontFace(emphasis="BOLD", fill_color=(221, 229, 240))
    pdf.set_font(FONT, size=7 if len(columns) > 9 else 8)
    with pdf.table(
        col_widths=tuple(widths),
        headings_style=heading_style,
        line_height=pdf.font_size * 1.6,
        text_align=aligns,
        cell_fill_mode=TableCellFillMode.NONE,
        repeat_headings=1,
    ) as table:
        header = table.row()
        for column in columns:
            header.cell(column.heading, align="CENTER")
        for row in result.rows:
            cells = table.row()
            for value, column in zip(row, columns, strict=True):
                cells.cell(display(value, column))
        if result.totals is not None:
            cells = table.row()
            for value, column in zip(result.totals, columns, strict=True):
                text = "" if value is None else display(value, column)
                cells.cell(text, style=FontFace(emphasis="BOLD"))


def _chart(pdf: FPDF, result: ReportResult) -> None:
    image = render_chart(result, "png", dpi=120)
    width = min(pdf.epw, 250.0)
    height = width * 5.5 / 10.0
    if pdf.get_y() + height + 4 > pdf.page_break_trigger:
        pdf.add_page()
    pdf.ln(4)
    pdf.image(io.BytesIO(image), x=pdf.l_margin, w=width, h=height)
