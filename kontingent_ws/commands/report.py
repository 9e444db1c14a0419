"""``kontingent report``: build a report of the catalogue into an Excel, PDF, PNG or SVG file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from db.engine import make_engine, make_session_factory
from kontingent_ws.settings import Settings
from reports.catalogue import UnknownReport, get_report, list_reports
from reports.definition import FAMILIES, ReportDefinition
from reports.params import ReportParamError
from reports.render import FORMATS, render
from reports.render_chart import NoChart


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "report",
        help="build a report (xlsx, pdf, png, svg) or list the report catalogue",
        description="Построение отчёта из каталога. Пример: kontingent report STAT_ORG_BY_TYPE -o orgs.xlsx",
    )
    parser.add_argument("code", nargs="?", help="report code, e.g. STAT_ORG_BY_TYPE (see --list)")
    parser.add_argument("--list", action="store_true", help="list every report with its parameters")
    parser.add_argument(
        "--param", action="append", default=[], metavar="NAME=VALUE", help="a report parameter (repeatable)"
    )
    parser.add_argument("--format", choices=FORMATS, help="output format (default: from the file suffix, else xlsx)")
    parser.add_argument("-o", "--output", type=Path, help="the file to write")
    parser.add_argument("--scope-unit", type=int, help="build as a caller limited to this authority or organization")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    if args.list:
        print(catalogue_text())
        return 0
    if not args.code or args.output is None:
        print("Укажите код отчёта и файл: kontingent report CODE -o FILE (список: --list)", file=sys.stderr)
        return 2
    fmt = args.format or _format_of(args.output)
    try:
        definition = get_report(args.code)
        params = _params(args.param)
        engine = make_engine(Settings.from_env().database_url)
        try:
            with make_session_factory(engine)() as session:
                result = definition.build(session, params, args.scope_unit)
        finally:
            engine.dispose()
        content = render(result, fmt)
    except UnknownReport as error:
        print(error.message, file=sys.stderr)
        return 2
    except (ReportParamError, NoChart) as error:
        print(str(error), file=sys.stderr)
        return 2
    except OSError as error:
        print(f"Не удалось построить файл отчёта: {error.strerror or error}", file=sys.stderr)
        return 1
    try:
        args.output.write_bytes(content)
    except OSError as error:
        print(f"Не удалось записать файл {args.output}: {error.strerror or error}", file=sys.stderr)
        return 1
    print(f"{definition.code}: {len(result.rows)} строк → {args.output}")
    return 0


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    return suffix if suffix in FORMATS else "xlsx"


def _params(pairs: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ReportParamError(f"Параметр задаётся как ИМЯ=ЗНАЧЕНИЕ, получено {pair!r}")
        params[name.strip()] = value.strip()
    return params


def catalogue_text() -> str:
    """The catalogue as plain text: families, codes, titles, parameters."""
    lines: list[str] = []
    for family, title in FAMILIES.items():
        reports = list_reports(family)
        if reports:
            lines.append(f"{title}:")
            lines.extend(_describe(report) for report in reports)
    return "\n".join(lines)


def _describe(report: ReportDefinition) -> str:
    params = ", ".join(f"{spec.name}{'*' if spec.required else ''}" for spec in report.params)
    chart = " [диаграмма]" if report.chart else ""
    return f"  {report.code:<28} {report.title}{chart}\n  {'':<28} параметры: {params or '—'}"
