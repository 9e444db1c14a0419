"""How report values read on paper and on screen (Russian conventions)."""

from __future__ import annotations

from reports.definition import Cell, Column


def display(value: Cell, column: Column) -> str:
    """A cell as text: thousands split by a space, decimal comma, «—» for no value."""
    if value is None:
        return "—"
    if isinstance(value, int | float) and column.type != "str":
        if isinstance(value, int) and column.type == "int":
            return f"{value:,}".replace(",", " ")
        return f"{float(value):,.2f}".replace(",", " ").replace(".", ",")
    return str(value)


def generated_line(result_generated_at: object) -> str:
    """«Сформирован: 01.09.2024 10:15 (UTC)»."""
    return f"Сформирован: {result_generated_at:%d.%m.%Y %H:%M} (UTC)"
