"""Charts of reports with matplotlib (Agg, no display): bars, stacked bars and lines, labels in Russian."""

from __future__ import annotations

import io
import textwrap

import matplotlib

matplotlib.use("Agg")

from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from reports.definition import ReportResult

SIZE_INCHES = (10.0, 5.5)


class NoChart(ValueError):
    """The report has no chart."""


def render_chart(result: ReportResult, fmt: str = "png", *, dpi: int = 100) -> bytes:
    """The report's chart as PNG or SVG bytes (``NoChart`` when the report has none)."""
    spec = result.definition.chart
    if spec is None:
        raise NoChart(f"У отчёта {result.definition.code} нет диаграммы")
    if fmt not in ("png", "svg"):
        raise ValueError(f"Диаграмма строится только в PNG или SVG, не {fmt}")
    with rc_context({"font.family": "DejaVu Sans", "svg.fonttype": "path", "font.size": 9}):
        figure = Figure(figsize=SIZE_INCHES)
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        values = [str(value) for value in result.column_values(spec.x)]
        rotate = len(values) > 8
        width = 24 if rotate else max(10, 110 // max(len(values), 1))
        labels = [textwrap.fill(value, width, break_long_words=False) for value in values]
        series = [
            (result.definition.columns[result.definition.column_index(key)].heading, _numbers(result, key))
            for key in spec.y
        ]
        if not labels:
            axes.text(0.5, 0.5, "Нет данных", ha="center", va="center", transform=axes.transAxes)
        elif spec.kind == "line":
            _lines(axes, labels, series)
        else:
            _bars(axes, labels, series, stacked=spec.kind == "stacked-bar")
        axes.set_title(textwrap.fill(result.definition.title, 90))
        x_heading = result.definition.columns[result.definition.column_index(spec.x)].heading
        axes.set_xlabel(x_heading)
        if labels and len(series) > 1:
            axes.legend(loc="best")
        axes.grid(axis="y", alpha=0.3)
        axes.tick_params(axis="x", labelsize=8)
        if rotate:
            for tick in axes.get_xticklabels():
                tick.set_rotation(30)
                tick.set_horizontalalignment("right")
        figure.tight_layout()
        buffer = io.BytesIO()
        metadata = {"Date": None} if fmt == "svg" else {}
        figure.savefig(buffer, format=fmt, dpi=dpi, metadata=metadata)
    return buffer.getvalue()


def _numbers(result: ReportResult, key: str) -> list[float]:
    return [float(value) if isinstance(value, int | float) else 0.0 for value in result.column_values(key)]


def _bars(axes: Axes, labels: list[str], series: list[tuple[str, list[float]]], *, stacked: bool) -> None:
    positions = list(range(len(labels)))
    if stacked:
        bottoms = [0.0] * len(labels)
        for heading, values in series:
            axes.bar(positions, values, 0.6, bottom=bottoms, label=heading)
            bottoms = [bottom + value for bottom, value in zip(bottoms, values, strict=True)]
    else:
        width = 0.8 / len(series)
        for index, (heading, values) in enumerate(series):
            offset = (index - (len(series) - 1) / 2) * width
            bars = axes.bar([position + offset for position in positions], values, width, label=heading)
            axes.bar_label(bars, fmt="%g", fontsize=7)
    axes.set_xticks(positions, labels)


def _lines(axes: Axes, labels: list[str], series: list[tuple[str, list[float]]]) -> None:
    positions = list(range(len(labels)))
    for heading, values in series:
        axes.plot(positions, values, marker="o", label=heading)
    step = max(1, len(labels) // 15)
    axes.set_xticks(positions[::step], labels[::step])
